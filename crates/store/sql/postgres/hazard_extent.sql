-- As sql/hazard_extent.sql: each shape's own box, in double precision
-- (ST_Extent's aggregate would round to single).
SELECT min(ST_XMin(shape)), min(ST_YMin(shape)), max(ST_XMax(shape)), max(ST_YMax(shape))
FROM hazards
WHERE revoked_at IS NULL AND status IN ('OPEN', 'WORKED_ON')
