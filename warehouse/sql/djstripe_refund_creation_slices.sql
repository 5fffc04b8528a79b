-- purpose: how many refunds dj-stripe holds since a moment, and the creation times that cut
--          them into slices of equal size (rebuild_warehouse's progress)
-- grain: one row
-- params: since (timestamptz or null), fractions (float8[]: cut points in (0, 1))
select
    count(*) as refund_count,
    percentile_disc(%(fractions)s::float8[]) within group (order by refund.created) as cut_points
from djstripe_refund as refund
where %(since)s::timestamptz is null or refund.created >= %(since)s::timestamptz
