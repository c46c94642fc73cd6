{{ config(materialized='view') }}
-- Input of co_share_pairs (macros/co_share.sql): the CooRTweet share-export shape,
-- limited to the sampled accounts of over-full object buckets.
select
    object_id,
    actor_key as account_id,
    event_id as content_id,
    ts as timestamp_share
from {{ ref('int_coaction_occurrences') }}
where edge_type = 'co_share' and is_kept
