-- first_seen <= last_seen, both inside the analysis window of the edge.
select e.*
from {{ ref('actor_edges') }} as e
cross join {{ ref('int_window') }} as w
where e.first_seen > e.last_seen
    or e.first_seen < w.window_start_ts
    or e.last_seen >= w.window_end_excl_ts
    or e.window_start <> w.window_start
    or e.window_end <> w.window_end
