{#-
  Coordinated co-sharing with the semantics of CooRTweet 2.1.3
  (detect_groups + generate_coordinated_network), written once in plain SQL +
  Jinja (DuckDB dialect) so that both the dbt pipeline and the
  `threatgraph coordination` command render the very same statement.

  No dbt-only function is used here: the CLI renders this file with plain
  jinja2 (Environment().from_string(...).module.co_share_pairs(...)).

  Input relation columns: object_id, account_id, content_id, timestamp_share
  (epoch seconds, numeric). Optional: a numeric column giving the input row
  order (`row_order`, unique per row), used only to orient pairs whose two
  shares have the same timestamp exactly as CooRTweet does.

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
  (quadratic for viral objects), shares are put in time buckets a little wider
  than time_window (co_share_bucket_width: the margin keeps |dt| <= W within
  adjacent buckets despite floating-point rounding) and every share is probed
  against its own bucket and the next one (a single hash join on object_id and
  bucket). The work is bounded by the number of share pairs less than two
  windows apart. That is still quadratic when many shares of one object fall
  in one window: `max_bucket_shares` (optional) keeps at most that many shares
  per (object, bucket), the shares of the accounts with the smallest
  hash(account_id) (the same accounts on every over-full bucket, so pairs that
  co-share several viral objects keep all their evidence), earliest first.
  Exact CooRTweet semantics hold where no bucket is over-full; with
  `overfull_report` the macro returns those buckets instead of the pairs
  (object_id, bucket_start, n_shares, n_kept).

  Orientation is decided in the join itself: the left share is the older one
  (ties: the earlier in CooRTweet's row order), so each unordered pair is
  found once, already in CooRTweet's output orientation, without numbering
  the rows.
-#}

{% macro co_share_bucket_width(time_window) -%}
{{ ([time_window, 1] | max * 1.001) | round(6) }}
{%- endmacro %}


{% macro co_share_bucket(timestamp_expr, time_window) -%}
floor({{ timestamp_expr }} / {{ co_share_bucket_width(time_window) }})
{%- endmacro %}


{% macro co_share_pairs(shares_relation, time_window, min_participation, row_order=none, remove_loops=true,
                        max_bucket_shares=none, overfull_report=false) -%}
{%- set bucket_width = co_share_bucket_width(time_window) -%}
with
-- a plain projection when the row order is given: inlined into its two
-- consumers rather than materialised (which costs more than the casts)
cs_input as {% if row_order %}not materialized {% endif %}(
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
-- data.table regroups the rows by account (order of first appearance): the
-- row order used by calc_group_combinations is (first_row, cs_row).
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
        a.first_row,
        i.cs_row,
        {{ co_share_bucket('i.timestamp_share', time_window) }} as cs_bucket
    from cs_input as i
    inner join cs_accounts as a
        on i.account_id = a.account_id
    where a.n_shares >= {{ min_participation }}
),

-- shares that can be paired: with do_remove_loops, not a share of the object
-- itself (filtered here, on each side, rather than on the pairs: much cheaper)
cs_loop_free as (
    select *
    from cs_active
    {%- if remove_loops %}
    where object_id <> content_id
    {%- endif %}
),
{%- if max_bucket_shares %}

-- over-full (object, bucket)s keep a sample; the others are untouched (no window over them)
cs_overfull as (
    select object_id, cs_bucket, count(*) as n_shares
    from cs_loop_free
    group by all
    having count(*) > {{ max_bucket_shares }}
),

cs_pairable as (
    select * from cs_loop_free anti join (select object_id, cs_bucket from cs_overfull) using (object_id, cs_bucket)
    union all
    select * from (
        select * from cs_loop_free semi join (select object_id, cs_bucket from cs_overfull) using (object_id, cs_bucket)
    )
    qualify row_number() over (
        partition by object_id, cs_bucket order by hash(account_id), account_id, timestamp_share, cs_row
    ) <= {{ max_bucket_shares }}
),
{%- else %}

cs_pairable as (select * from cs_loop_free),
{%- endif %}

-- every share probes its own bucket and the next one
cs_probes as (
    select p.*, p.cs_bucket + s.step as cs_probe_bucket
    from cs_pairable as p
    cross join (values (0), (1)) as s(step)
),

-- candidate comparisons: same object, same or adjacent time bucket, l the
-- older share (ties: the earlier row, as calc_group_combinations' id < id)
cs_candidates as (
    select
        l.object_id,
        l.account_id,
        r.account_id as account_id_y,
        l.content_id,
        r.content_id as content_id_y,
        r.timestamp_share - l.timestamp_share as time_delta
    from cs_probes as l
    inner join cs_pairable as r
        on l.object_id = r.object_id
        and l.cs_probe_bucket = r.cs_bucket
        and (l.timestamp_share, l.first_row, l.cs_row) < (r.timestamp_share, r.first_row, r.cs_row)
),

-- time window (inclusive) and the rest of do_remove_loops
cs_pairs as (
    select *
    from cs_candidates
    where time_delta <= {{ time_window }}
    {%- if remove_loops %}
        and content_id <> content_id_y
        and account_id <> account_id_y
    {%- endif %}
)

{%- if min_participation > 1 %},

-- filter_min_participation (a no-op below 2: every content of the result
-- belongs to an account with at least one row in the result)
cs_result_contents as (
    select content_id from cs_pairs
    union
    select content_id_y from cs_pairs
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
)
{%- endif %}

{%- if overfull_report %}

select object_id, cs_bucket * {{ bucket_width }} as bucket_start, n_shares, {{ max_bucket_shares }} as n_kept
from cs_overfull
{%- else %}

-- content_id / account_id = older share, time_delta = absolute difference
select *
from cs_pairs
{%- if min_participation > 1 %}
where content_id in (select content_id from cs_participating_contents)
    or content_id_y in (select content_id from cs_participating_contents)
{%- endif %}
{%- endif %}
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

cs_grouped as (
    select
        account_id,
        account_id_y,
        count(*) as weight,
        avg(time_delta) as avg_time_delta,
        min(content_id) = max(content_id) as one_content,
        min(content_id_y) = max(content_id_y) as one_content_y
    from cs_undirected
    group by account_id, account_id_y
),

-- count(distinct) is the costliest step: only run it for the edges that have
-- more than one content on a side (most edges have a single pair)
cs_distinct as (
    select
        u.account_id,
        u.account_id_y,
        count(distinct u.content_id) as n_content_id,
        count(distinct u.content_id_y) as n_content_id_y
    from cs_undirected as u
    semi join (
        select account_id, account_id_y
        from cs_grouped
        where not (one_content and one_content_y)
    ) as m
        on u.account_id = m.account_id
        and u.account_id_y = m.account_id_y
    group by u.account_id, u.account_id_y
),

cs_edges as (
    select
        g.account_id,
        g.account_id_y,
        g.weight,
        g.avg_time_delta,
        coalesce(d.n_content_id, 1) as n_content_id,
        coalesce(d.n_content_id_y, 1) as n_content_id_y
    from cs_grouped as g
    left join cs_distinct as d
        on g.account_id = d.account_id
        and g.account_id_y = d.account_id_y
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
