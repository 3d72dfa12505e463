-- The box (west, south, east, north) of the hazards still dangerous (OPEN,
-- WORKED_ON), from each polygon's own coordinates (the R-tree's boxes are
-- rounded outward to single precision); all NULL when there are none.
SELECT min(ST_MinX(geom)), min(ST_MinY(geom)), max(ST_MaxX(geom)), max(ST_MaxY(geom))
FROM hazards
WHERE revoked_at IS NULL AND status IN ('OPEN', 'WORKED_ON')
