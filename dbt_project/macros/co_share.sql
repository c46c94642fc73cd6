{#-
  Coordinated co-sharing with the semantics of CooRTweet 2.1.3
  (detect_groups + generate_coordinated_network), written once in plain SQL +
  Jinja (DuckDB dialect) so that both the dbt pipeline and the
  `threatgraph coordination` command render the very same statement.

  No dbt-only function is used here: the CLI renders this file with plain
  jinja2 (Environment().from_string(...).module.co_share_pairs(...)).

  Input relation columns: object_id, account_id, content_id, timestamp_share
  (epoch seconds, numeric). Optional: a numeric column giving the input row
  order (`row_order`), used only to orient pairs whose two shares have the same
  timestamp exactly as CooRTweet does.

  CooRTweet rules reproduced (R/detect_groups.R, R/calc_group_combinations.R,
  R/generate_coordinated_network.R):
    1. pre-filter: keep accounts with at least `min_participation` rows in the
       input (x[, if (.N >= min_participation) .SD, by = account_id]);
    2. per object_id, every unordered pair of rows (join on id < id) whose
       |timestamp difference| <= time_window (inclusive);
    3. loops removed: object_id = content_id on either side, identical
       content_id, identical account_id;
    4. refined participation: among the rows (of step 1) whose content_id
       occurs in the result, keep accounts with >= min_participation rows;
       keep a pair when content_id OR content_id_y belongs to such an account;
    5. orientation: content_id / account_id is the older share (ties: the
       earlier row), time_delta = |difference|.
  Network: account ids ordered (least / greatest), grouped per pair:
  weight = number of pairs, avg_time_delta = mean(time_delta), n_content_id /
  n_content_id_y = distinct content_id / content_id_y,
  edge_symmetry_score = min(n_content_id, n_content_id_y) / max(...),
  weight_threshold = weight > quantile(weight, edge_weight) (type 7).

  Scalability: instead of comparing every pair of shares of an object
  (quadratic for viral objects), shares are put in time buckets of width
  time_window and only bucket b is joined with buckets b and b + 1, which is
  enough because |dt| <= W implies |bucket difference| <= 1. The work is
  bounded by the number of share pairs less than two windows apart.
-#}

{% macro co_share_pairs(shares_relation, time_window, min_participation, row_order=none, remove_loops=true) -%}
{%- set bucket_width = time_window if time_window > 0 else 1 -%}
with
cs_input as (
    select
        cast(object_id as varchar) as object_id,
        cast(account_id as varchar) as account_id,
        cast(content_id as varchar) as content_id,
        cast(timestamp_share as double) as timestamp_share,
        {%- if row_order %}
        cast({{ row_order }} as double) as cs_row
        {%- else %}
        cast(row_number() over (
            order by timestamp_share, account_id, content_id, object_id
        ) as double) as cs_row
        {%- endif %}
    from {{ shares_relation }}
),

-- CooRTweet pre-filter: accounts with at least min_participation shares.
-- data.table regroups the rows by account (order of first appearance), which
-- fixes the row order used by calc_group_combinations (id < id).
cs_accounts as (
    select account_id, count(*) as n_shares, min(cs_row) as first_row
    from cs_input
    group by account_id
),

cs_active as (
    select
        i.object_id,
        i.account_id,
        i.content_id,
        i.timestamp_share,
        row_number() over (order by a.first_row, i.cs_row) as cs_idx,
        cast(floor(i.timestamp_share / {{ bucket_width }}) as bigint) as cs_bucket
    from cs_input as i
    inner join cs_accounts as a
        on i.account_id = a.account_id
    where a.n_shares >= {{ min_participation }}
),

-- candidate comparisons: same object, same or adjacent time bucket
cs_candidates as (
    select
        l.object_id,
        l.cs_idx as l_idx, l.account_id as l_account, l.content_id as l_content, l.timestamp_share as l_ts,
        r.cs_idx as r_idx, r.account_id as r_account, r.content_id as r_content, r.timestamp_share as r_ts
    from cs_active as l
    inner join cs_active as r
        on l.object_id = r.object_id
        and l.cs_bucket = r.cs_bucket
        and l.cs_idx < r.cs_idx
    union all
    select
        l.object_id,
        l.cs_idx, l.account_id, l.content_id, l.timestamp_share,
        r.cs_idx, r.account_id, r.content_id, r.timestamp_share
    from cs_active as l
    inner join cs_active as r
        on l.object_id = r.object_id
        and r.cs_bucket = l.cs_bucket + 1
),

-- orient as calc_group_combinations does: x = row with the smaller id,
-- time_delta = timestamp_share(x) - timestamp_share(y); keep |dt| <= window
cs_within as (
    select
        object_id,
        case when l_idx < r_idx then l_account else r_account end as x_account,
        case when l_idx < r_idx then r_account else l_account end as y_account,
        case when l_idx < r_idx then l_content else r_content end as x_content,
        case when l_idx < r_idx then r_content else l_content end as y_content,
        case when l_idx < r_idx then l_ts - r_ts else r_ts - l_ts end as time_delta_raw
    from cs_candidates
    where abs(l_ts - r_ts) <= {{ time_window }}
),

-- do_remove_loops
cs_no_loops as (
    select *
    from cs_within
    {%- if remove_loops %}
    where object_id <> x_content
        and object_id <> y_content
        and x_content <> y_content
        and x_account <> y_account
    {%- endif %}
),

-- filter_min_participation
cs_result_contents as (
    select x_content as content_id from cs_no_loops
    union
    select y_content from cs_no_loops
),

cs_rows_in_result as (
    select a.account_id, a.content_id
    from cs_active as a
    where a.content_id in (select content_id from cs_result_contents)
),

cs_participating_accounts as (
    select account_id
    from cs_rows_in_result
    group by account_id
    having count(*) >= {{ min_participation }}
),

cs_participating_contents as (
    select distinct content_id
    from cs_rows_in_result
    where account_id in (select account_id from cs_participating_accounts)
),

cs_filtered as (
    select *
    from cs_no_loops
    {%- if min_participation >= 1 %}
    where x_content in (select content_id from cs_participating_contents)
        or y_content in (select content_id from cs_participating_contents)
    {%- endif %}
)

-- content_id / account_id = older share, time_delta = absolute difference
select
    object_id,
    case when time_delta_raw > 0 then y_account else x_account end as account_id,
    case when time_delta_raw > 0 then x_account else y_account end as account_id_y,
    case when time_delta_raw > 0 then y_content else x_content end as content_id,
    case when time_delta_raw > 0 then x_content else y_content end as content_id_y,
    abs(time_delta_raw) as time_delta
from cs_filtered
{%- endmacro %}


{% macro co_share_network(pairs_relation, edge_weight=0.5, subgraph=0) -%}
{%- if subgraph not in (0, 1) %}
select error('co_share_network: subgraph {{ subgraph }} needs flag_speed_share data; only 0 and 1 are supported')
{%- else %}
with
cs_undirected as (
    select
        least(account_id, account_id_y) as account_id,
        greatest(account_id, account_id_y) as account_id_y,
        content_id,
        content_id_y,
        time_delta
    from {{ pairs_relation }}
),

cs_edges as (
    select
        account_id,
        account_id_y,
        count(*) as weight,
        avg(time_delta) as avg_time_delta,
        count(distinct content_id) as n_content_id,
        count(distinct content_id_y) as n_content_id_y
    from cs_undirected
    group by account_id, account_id_y
),

cs_threshold as (
    select quantile_cont(weight, {{ edge_weight }}) as threshold
    from cs_edges
),

cs_network as (
    select
        e.account_id,
        e.account_id_y,
        e.weight,
        e.avg_time_delta,
        cast(least(e.n_content_id, e.n_content_id_y) as double)
            / greatest(e.n_content_id, e.n_content_id_y) as edge_symmetry_score,
        e.n_content_id,
        e.n_content_id_y,
        case when e.weight > t.threshold then 1 else 0 end as weight_threshold
    from cs_edges as e
    cross join cs_threshold as t
)

select *
from cs_network
{%- if subgraph == 1 %}
where weight_threshold = 1
{%- endif %}
{%- endif %}
{%- endmacro %}
