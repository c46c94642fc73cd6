-- Objects whose pairs were sampled or skipped to keep pair joins bounded, per edge type.
select distinct edge_type, object_id, 'bucket_sampled' as cap_reason
from {{ ref('int_coaction_occurrences') }}
where is_bucket_capped
union
select distinct edge_type, object_id, 'repeats_sampled'
from {{ ref('int_coaction_occurrences') }}
where is_repeat_capped
union
select distinct 'co_text', cast(band_no as varchar) || ':' || cast(band_hash as varchar), 'repeats_sampled'
from {{ ref('int_co_text_bands') }}
where is_repeat_capped
union
select distinct edge_type, object_id, 'not_rare'
from {{ ref('int_coaction_occurrences') }}
where edge_type = 'co_hashtag' and n_object_accounts > {{ var('co_hashtag_max_accounts') | int }}
union
select distinct 'co_text', cast(band_no as varchar) || ':' || cast(band_hash as varchar), 'bucket_sampled'
from {{ ref('int_co_text_bands') }}
where is_bucket_capped
union
select distinct edge_type, object_id, 'too_many_accounts'
from {{ ref('int_shared_objects') }}
where is_capped
