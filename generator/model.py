"""Shared containers: the event batch and the video/sound catalog."""
from __future__ import annotations

from .population import unique_snowflake

EVENT_TYPES = ("post", "comment", "like", "share", "repost", "follow", "unfollow")
POST, COMMENT, LIKE, SHARE, REPOST, FOLLOW, UNFOLLOW = range(7)
EMPTY: list = []


class Batch:
    """Column lists of events; account/video/target/sound are indices (-1 = none)."""

    __slots__ = ("acct", "t", "etype", "video", "target", "text", "tags", "mentions", "urls",
                 "sound", "channel")

    def __init__(self):
        for s in self.__slots__:
            setattr(self, s, [])

    def add(self, acct, t, etype, video=-1, target=-1, text=None, tags=EMPTY, mentions=EMPTY,
            urls=EMPTY, sound=-1, channel=-1):
        self.acct.append(int(acct))
        self.t.append(int(t))
        self.etype.append(etype)
        self.video.append(int(video))
        self.target.append(int(target))
        self.text.append(text)
        self.tags.append(tags)
        self.mentions.append(mentions)
        self.urls.append(urls)
        self.sound.append(int(sound))
        self.channel.append(channel)

    def __len__(self):
        return len(self.acct)


class Catalog:
    """Every video (pre-window and posted in the window) and sound."""

    def __init__(self):
        self.owner: list[int] = []
        self.post_ms: list[int] = []
        self.weight: list[float] = []
        self.civic: list[bool] = []
        self.ids: list[str] = []
        self._seen: set[str] = set()
        self.sound_ids: list[str] = []

    def add_video(self, owner: int, t: int, weight: float, civic: bool, rng) -> int:
        self.ids.append(unique_snowflake(t, rng.integers(0, 2**22), self._seen))
        self.owner.append(int(owner))
        self.post_ms.append(int(t))
        self.weight.append(float(weight))
        self.civic.append(bool(civic))
        return len(self.ids) - 1

    def add_sound(self, rng) -> int:
        self.sound_ids.append(f"snd{int(rng.integers(10**14, 10**15))}")
        return len(self.sound_ids) - 1
