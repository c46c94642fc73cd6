-- One row per (document, LSH band) with the bucket bookkeeping of co_text:
-- bucket of width co_text_window_seconds, accounts per (band, band hash, bucket),
-- and the same hash(actor_key) sample of max_pairs_per_object accounts as int_coaction_occurrences
-- in over-full groups.
{%- set win = var('co_text_window_seconds') %}
{%- set cap = var('max_pairs_per_object') | int %}
{%- set repeats = var('max_repeats_per_account') | int %}
with band_rows as (
    select
        d.event_id, d.actor_key, d.event_time, d.ts,
        b.band_no, b.band_hash,
        cast(floor(d.ts / {{ win }}) as bigint) as bucket
    from {{ ref('int_co_text_docs') }} as d,
        unnest(d.lsh_bands) with ordinality as b(band_hash, band_no)
),
groups as (
    select
        band_no, band_hash, bucket, actor_key, n_docs,
        row_number() over (partition by band_no, band_hash, bucket order by hash(actor_key), actor_key) as bucket_rank,
        count(*) over (partition by band_no, band_hash, bucket) as n_bucket_accounts
    from (select band_no, band_hash, bucket, actor_key, count(*) as n_docs from band_rows group by all)
),
group_sizes as (
    select band_no, band_hash, count(distinct actor_key) as n_group_accounts
    from band_rows
    group by band_no, band_hash
),
with_groups as (
    select r.*, g.n_docs, g.bucket_rank, g.n_bucket_accounts
    from band_rows as r
    inner join groups as g using (band_no, band_hash, bucket, actor_key)
),
-- an account's own near-duplicates in one group: its first max_repeats_per_account documents take
-- part in pairs (pairs are per document)
ranked as (
    {{ rank_repeats('with_groups', 'band_no, band_hash, bucket, actor_key', 'n_docs', repeats) }}
)
select
    r.event_id, r.actor_key, r.event_time, r.ts, r.band_no, r.band_hash, r.bucket,
    s.n_group_accounts,
    r.n_bucket_accounts,
    r.n_bucket_accounts > {{ cap }} as is_bucket_capped,
    r.repeat_rank > {{ repeats }} as is_repeat_capped,
    r.bucket_rank <= {{ cap }} and r.repeat_rank <= {{ repeats }} as is_kept
from ranked as r
inner join group_sizes as s using (band_no, band_hash)
