-- purpose: how many charges dj-stripe holds since a moment, and the creation times that cut
--          them into slices of equal size (rebuild_warehouse's progress)
-- grain: one row
-- params: since (timestamptz or null), fractions (float8[]: cut points in (0, 1))
select
    count(*) as charge_count,
    percentile_disc(%(fractions)s::float8[]) within group (order by charge.created) as cut_points
from djstripe_charge as charge
where %(since)s::timestamptz is null or charge.created >= %(since)s::timestamptz
