-- Shared infrastructure as (edge_type, object, account, first/last seen in the window):
-- devices and IP prefixes (int_infra_observations) and avatar hashes of accounts active in the
-- window. is_capped: the object is used by more accounts than its cap (carrier NAT, a
-- popular stock picture, an emulator farm image), so it contributes no pairs.
with objects as (
    select
        'shared_' || infra_type as edge_type,
        infra_value as object_id,
        actor_key,
        first_seen,
        last_seen,
        n_accounts
    from {{ ref('int_infra_observations') }}
    union all
    select
        'shared_avatar',
        a.avatar_hash,
        a.actor_key,
        act.first_active,
        act.last_active,
        count(*) over (partition by a.avatar_hash)
    from {{ ref('int_accounts_current') }} as a
    inner join {{ ref('int_actor_activity') }} as act on a.actor_key = act.actor_key
    where a.avatar_hash is not null
)
select
    *,
    n_accounts > case edge_type
        when 'shared_device' then {{ var('max_accounts_per_device') | int }}
        when 'shared_ip_prefix' then {{ var('max_accounts_per_ip_prefix') | int }}
        when 'shared_avatar' then {{ var('max_accounts_per_avatar') | int }}
    end as is_capped
from objects
