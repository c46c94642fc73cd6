"""Static vocabularies for the synthetic generator.

Everything here is fictional or generic: candidate names, campaign domains and
ASN-to-prefix assignments are invented; ASN numbers only label network kinds.
All sequences are tuples so that iteration order is fixed.
"""
from __future__ import annotations

# country, weight, language tag, UTC offset (hours), name group
COUNTRIES = (
    ("US", 22, "en", -5.0, "en"),
    ("BR", 12, "pt-BR", -3.0, "pt"),
    ("MX", 8, "es-MX", -6.0, "es"),
    ("IN", 9, "en-IN", 5.5, "in"),
    ("ID", 7, "id", 7.0, "id"),
    ("GB", 5, "en-GB", 0.0, "en"),
    ("DE", 4, "de", 1.0, "de"),
    ("FR", 4, "fr", 1.0, "fr"),
    ("ES", 3, "es", 1.0, "es"),
    ("PH", 5, "fil", 8.0, "id"),
    ("NG", 3, "en-NG", 1.0, "en"),
    ("TR", 3, "tr", 3.0, "tr"),
    ("CO", 3, "es-CO", -5.0, "es"),
    ("AR", 2, "es-AR", -3.0, "es"),
    ("CA", 2, "en-CA", -5.0, "en"),
    ("PL", 2, "pl", 1.0, "de"),
    ("IT", 2, "it", 1.0, "es"),
    ("VN", 2, "vi", 7.0, "id"),
    ("EG", 1, "ar", 2.0, "tr"),
    ("KE", 1, "sw", 3.0, "en"),
)

FIRST = {
    "en": ("james", "mary", "john", "linda", "mike", "sarah", "chris", "emma", "david", "olivia",
           "josh", "ashley", "ryan", "megan", "kevin", "laura", "brian", "jess", "tyler", "kayla",
           "noah", "ava", "liam", "mia", "ethan", "chloe"),
    "pt": ("joao", "maria", "pedro", "ana", "lucas", "julia", "gabriel", "beatriz", "rafael", "larissa",
           "matheus", "camila", "thiago", "leticia", "bruno", "fernanda"),
    "es": ("jose", "carlos", "lucia", "sofia", "diego", "valentina", "miguel", "camila", "alejandro",
           "daniela", "javier", "paula", "andres", "mariana", "luis", "fernanda"),
    "in": ("rahul", "priya", "amit", "neha", "arjun", "pooja", "vikram", "anjali", "rohit", "sneha",
           "karan", "divya", "aditya", "riya"),
    "id": ("budi", "siti", "agus", "dewi", "rizky", "putri", "andi", "ayu", "joko", "nur", "mark",
           "angel", "jun", "lan", "minh", "thu"),
    "de": ("lukas", "anna", "felix", "lea", "jonas", "marie", "paul", "lena", "max", "hannah",
           "piotr", "kasia", "tomasz"),
    "fr": ("louis", "camille", "hugo", "chloe", "lucas", "manon", "jules", "ines", "theo", "lea"),
    "tr": ("mehmet", "ayse", "mustafa", "fatma", "emre", "zeynep", "ahmed", "mona", "omar", "elif"),
}
LAST = {
    "en": ("smith", "johnson", "brown", "jones", "miller", "davis", "wilson", "taylor", "clark", "lewis",
           "walker", "hall", "young", "king", "wright", "scott", "green", "baker", "adams", "nelson",
           "okafor", "mwangi"),
    "pt": ("silva", "santos", "oliveira", "souza", "lima", "pereira", "costa", "ferreira", "alves", "rocha"),
    "es": ("garcia", "martinez", "lopez", "gonzalez", "perez", "sanchez", "ramirez", "torres", "flores",
           "rivera", "gomez", "diaz", "rossi", "bianchi"),
    "in": ("sharma", "verma", "gupta", "singh", "kumar", "patel", "reddy", "nair", "iyer", "das"),
    "id": ("santoso", "wijaya", "saputra", "hidayat", "reyes", "cruz", "bautista", "nguyen", "tran", "pham"),
    "de": ("muller", "schmidt", "schneider", "fischer", "weber", "meyer", "wagner", "nowak", "kowalski"),
    "fr": ("martin", "bernard", "dubois", "thomas", "robert", "richard", "petit", "durand"),
    "tr": ("yilmaz", "kaya", "demir", "sahin", "celik", "hassan", "ali", "ibrahim"),
}
WORDS = ("sunny", "pixel", "dream", "vibes", "daily", "chef", "travel", "gamer", "music", "dance", "art",
         "cat", "dog", "moon", "star", "coffee", "bts", "kpop", "soccer", "fit", "glow", "beauty",
         "memes", "tech", "nature", "wave", "ocean", "urban", "retro", "lofi", "cozy", "happy", "wild",
         "real", "official", "tv", "studio", "life", "queen", "king", "baby", "boss")

BIOS = ("just vibes ✨", "dm for collabs", "🇧🇷 | 22 | música", "living my best life", "cat mom 🐱",
        "football is life ⚽", "makeup artist 💄", "small business owner", "student", "gamer 🎮",
        "travel | food | fun", "mom of 3", "official account", "dance 💃", "comedy & memes",
        "fitness coach 💪", "he/him", "she/her", "link below 👇", "aspiring chef", "", "🌙", "nurse 🩺",
        "vida loca", "hidup santai", "semua untuk keluarga", "amo minha família", "follow for more")

EMAIL_DOMAINS = (("gmail.com", 50), ("yahoo.com", 8), ("outlook.com", 7), ("hotmail.com", 7),
                 ("icloud.com", 8), ("gmx.de", 2), ("web.de", 2), ("orange.fr", 2), ("uol.com.br", 2),
                 ("yandex.ru", 1), ("mail.ru", 1), ("proton.me", 1))
TEMP_EMAIL_DOMAINS = ("quickinbox.net", "mailfast.pro", "tmpbox.io", "inboxnow.xyz")

# Network operators: (asn, kind, country, first octet pairs). Prefixes are invented.
RESIDENTIAL = (
    (64601, "US", ((23, 112), (73, 15), (98, 200))), (64602, "US", ((71, 88), (24, 61))),
    (64611, "BR", ((177, 40), (189, 12))), (64621, "MX", ((187, 140), (201, 160))),
    (64631, "IN", ((49, 36), (106, 210))), (64641, "ID", ((36, 72), (114, 122))),
    (64651, "GB", ((86, 140), (81, 98))), (64661, "DE", ((84, 150), (93, 200))),
    (64671, "FR", ((90, 40), (86, 200))), (64681, "ES", ((83, 44), (88, 12))),
    (64691, "PH", ((112, 198), (120, 28))), (64701, "NG", ((102, 89), (105, 112))),
    (64711, "TR", ((78, 160), (88, 230))), (64721, "CO", ((181, 50), (190, 24))),
    (64731, "AR", ((181, 44), (190, 190))), (64741, "CA", ((70, 48), (99, 240))),
    (64751, "PL", ((83, 24), (89, 64))), (64761, "IT", ((79, 20), (93, 36))),
    (64771, "VN", ((113, 160), (14, 160))), (64781, "EG", ((41, 32), (156, 200))),
    (64791, "KE", ((41, 80), (197, 232))),
)
MOBILE = (
    (65101, "US", (172, 58)), (65102, "US", (174, 200)), (65111, "BR", (179, 90)),
    (65121, "MX", (189, 200)), (65131, "IN", (157, 32)), (65132, "IN", (106, 76)),
    (65141, "ID", (110, 136)), (65151, "GB", (82, 132)), (65161, "DE", (80, 187)),
    (65171, "FR", (92, 184)), (65181, "ES", (95, 16)), (65191, "PH", (49, 144)),
    (65201, "NG", (105, 72)), (65211, "TR", (176, 88)), (65221, "CO", (191, 95)),
    (65231, "AR", (186, 12)), (65241, "CA", (184, 144)), (65251, "PL", (37, 30)),
    (65261, "IT", (5, 90)), (65271, "VN", (27, 64)), (65281, "EG", (197, 32)),
    (65291, "KE", (197, 136)),
)
# hosting / datacenter / VPN exits
HOSTING = (
    (14061, "NL", (188, 166)), (16276, "FR", (51, 68)), (24940, "DE", (95, 216)),
    (16509, "US", (3, 90)), (63949, "SG", (139, 162)), (20473, "US", (45, 76)),
    (9009, "RO", (185, 203)), (60068, "GB", (89, 187)), (396982, "US", (34, 82)),
)

DEVICE_MODELS = (
    ("iPhone15,2", "iOS 17.5"), ("iPhone14,5", "iOS 17.4"), ("iPhone13,2", "iOS 16.6"),
    ("iPhone16,1", "iOS 18.1"), ("SM-S918B", "Android 14"), ("SM-A546E", "Android 14"),
    ("SM-A105F", "Android 11"), ("Pixel 8", "Android 15"), ("Redmi Note 12", "Android 13"),
    ("moto g54", "Android 14"), ("CPH2591", "Android 14"), ("V2207", "Android 13"),
    ("Infinix X6833B", "Android 13"), ("TECNO KI5k", "Android 12"),
)
APP_VERSIONS = ("34.2.1", "34.1.3", "33.9.0", "33.8.4", "32.5.2")
WEB_UAS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
)

HASHTAGS = ("fyp", "foryou", "viral", "trending", "funny", "comedy", "dance", "music", "food", "recipe",
            "travel", "fitness", "gym", "makeup", "beauty", "fashion", "ootd", "pets", "cats", "dogs",
            "football", "soccer", "nba", "gaming", "minecraft", "anime", "kpop", "bts", "art", "diy",
            "lifehack", "motivation", "love", "family", "baby", "wedding", "summer", "beach", "nature",
            "cooking", "asmr", "skincare", "storytime", "pov", "duet", "challenge", "tutorial", "prank",
            "memes", "relatable", "booktok", "cartoon", "car", "tech", "iphone", "photography", "tiktokbrasil",
            "humor", "receta", "futbol", "musica", "parati", "comida", "viagem", "engracado", "lucu",
            "masak", "fyppppppppppppppppppppppp", "xyzbca", "capcut", "transition", "edit", "fanart",
            "halloween", "thanksgiving", "christmas", "newmusic", "cover", "singing", "guitar", "drums")
CIVIC_HASHTAGS = ("election2026", "vote", "voteearly", "debate2026", "elecciones2026", "eleicoes2026",
                  "politics", "democracy", "ballot", "registertovote", "pollworker", "civics")

COMMENTS_SHORT = ("lol", "😂😂😂", "😂", "🔥", "🔥🔥🔥", "❤️", "😍", "wow", "omg", "haha", "lmao",
                  "first", "same", "this 👏", "🙌", "kkkkkk", "jajaja", "wkwkwk", "yes!!", "💀💀")
COMMENTS = {
    "en": ("this is so good", "i can't stop watching this", "who else is here from fyp?",
           "the ending got me", "need part 2", "how did you do that", "this made my day",
           "literally me", "song name?", "underrated", "why is this so accurate", "obsessed with this"),
    "pt": ("que lindo", "morri de rir", "alguém sabe o nome da música?", "perfeito demais",
           "quero parte 2", "muito bom kkkk"),
    "es": ("me encanta", "jajaja no puedo", "quiero parte 2", "qué bonito", "el final 😂",
           "nombre de la canción?"),
    "in": ("so cute yaar", "mast video", "waah kya baat", "bhai op", "superb 👌"),
    "id": ("keren banget", "lucu bgt wkwk", "mantap", "ganda", "ang cute", "hay nako"),
    "de": ("wie cool", "richtig gut", "ich feier das", "bestes video"),
    "fr": ("trop bien", "mdr", "incroyable", "la fin 😂"),
    "tr": ("harika", "çok güzel", "efsane", "maşallah"),
}
CIVIC_COMMENTS = ("did everyone register to vote?", "the debate last night was wild",
                  "polls open at 7am don't forget", "who are you voting for?", "this is misleading",
                  "source?", "both candidates are the same", "finally someone said it",
                  "vote early if you can", "turnout is going to be huge this year")
CAPTIONS = {
    "en": ("wait for it", "day in my life", "trying this trend", "pov: monday morning", "new recipe!",
           "rate my outfit", "when the beat drops", "tutorial in comments", "my dog did this",
           "story time", "storytime part 3", "had to try this", "weekend vibes"),
    "pt": ("esperem o final", "meu dia", "testando a trend", "receita nova", "olha isso"),
    "es": ("espera el final", "un día conmigo", "probando la trend", "receta nueva", "miren esto"),
    "in": ("wait for end", "daily vlog", "new trend try kiya", "recipe time"),
    "id": ("tunggu akhirnya", "cobain trend", "resep baru", "hari ini"),
    "de": ("wartet aufs ende", "mein tag", "neues rezept"),
    "fr": ("attendez la fin", "ma journée", "nouvelle recette"),
    "tr": ("sonunu bekleyin", "yeni tarif", "günlük vlog"),
}
CIVIC_CAPTIONS = ("my thoughts on the debate", "how to check your voter registration",
                  "election day is coming", "what the candidates said about jobs",
                  "early voting line today", "explaining the ballot measures")
FAN_COMMENTS = ("first!!", "❤️❤️❤️", "queen 👑", "love you!!", "posted 1 min ago and i'm here",
                "notification squad 🔔", "you never miss", "🔥🔥", "omg hi", "best creator on this app")
ORGANIC_DOMAINS = ("youtube.com", "instagram.com", "linktr.ee", "spotify.com", "amazon.com",
                   "shop.example-store.com", "news.example.org", "wikipedia.org")
SHARE_CHANNELS = ("copy_link", "dm", "external_app")

# Fictional civic landscape for planted operations.
CANDIDATES = ("Mara Ellison", "Tomas Rivera", "Ana Duarte", "Victor Hale", "Ruth Okonkwo", "Leo Brandt")
OP_NAMES = ("Ghost Ballot", "Red Lantern", "Quiet Harbor", "Paper Echo", "Silver Choir", "Night Ledger",
            "Broken Compass", "Amber Wave", "Iron Chorus", "Glass River", "Hollow Crown", "Velvet Drum")
OP_DOMAINS = ("truthpatriot-news.com", "votewatch24.net", "noticias-libres.info", "realballot.org",
              "the-honest-citizen.net", "electionfacts-now.com", "voz-del-pueblo.info",
              "freedomwire-daily.com", "ballotintegrity.live", "nossa-verdade.net", "peoplesledger.news",
              "civic-alert.today")
OP_TAG_STEMS = ("SaveOurVote", "RiggedCount", "StopTheFraud", "HonestBallot", "WakeUpVoters",
                "TruthAbout", "NoMoreLies", "RealVotes", "CountEveryLie", "VoteThemOut")
OP_NARRATIVES = (
    "{cand} is hiding the truth about the ballots",
    "they don't want you to know what {cand} did",
    "share before they delete this: {cand} exposed",
    "the count is rigged, {cand} knows it",
    "polling stations are closing early, spread the word",
    "{cand} supporters are being silenced",
    "real voters are waking up against {cand}",
    "mail-in ballots are being thrown away, we have proof",
)
OP_COMMENT_BASES = (
    "{cand} must be stopped",
    "everyone needs to see this",
    "this is the proof they tried to hide",
    "wake up people, share this",
    "{cand} lied to all of us",
    "do your own research before voting",
    "the media won't show you this",
)
OP_BIOS = ("patriot. mother. voter 🗳️", "truth seeker | free speech", "proud citizen, no more lies",
           "god family country", "independent thinker 🇺🇸", "just asking questions")
EMOJI_TAILS = ("", "", " 🔥", " !!", " 🇺🇸", " 👇", " 💯", "!!!", " 😡", " 🙏", "...")
