-- Posts and comments in the window as normalised documents for near-duplicate detection:
-- lower case; URLs, @mentions, pseudonymised account ids, punctuation and emoji removed;
-- spaces collapsed. Texts shorter than co_text_min_words words are ignored.
-- Each document gets its distinct word 3-shingles and a MinHash signature cut into LSH bands.
{%- set bands = var('co_text_lsh_bands') | int %}
{%- set rows = var('co_text_lsh_rows') | int %}
with normalised as (
    select
        event_id,
        actor_key,
        event_time,
        ts,
        trim(regexp_replace(
            regexp_replace(
                regexp_replace(
                    regexp_replace(lower(text), '(https?://|www\.)\S+', ' ', 'g'),
                    '@\S+', ' ', 'g'),
                '\ba_[0-9a-f]{20}\b', ' ', 'g'),
            '[^\p{L}\p{N}]+', ' ', 'g')) as norm_text
    from {{ ref('int_events_window') }}
    where event_type in ('post', 'comment') and text is not null
),
words as (
    select *, string_split(norm_text, ' ') as w
    from normalised
    where norm_text <> ''
),
shingled as (
    select
        event_id, actor_key, event_time, ts, norm_text,
        list_distinct(list_transform(range(1, len(w) - 1), lambda i: w[i] || ' ' || w[i + 1] || ' ' || w[i + 2])) as shingles
    from words
    where len(w) >= {{ var('co_text_min_words') | int }}
)
select
    event_id,
    actor_key,
    event_time,
    ts,
    norm_text,
    shingles,
    list_transform(
        range({{ bands }}),
        lambda b: hash(b, list_transform(
            range(b * {{ rows }}, (b + 1) * {{ rows }}),
            lambda k: list_min(list_transform(shingles, lambda s: hash(s, k)))))
    ) as lsh_bands
from shingled
