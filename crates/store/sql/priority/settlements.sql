-- Settlements where people live.
SELECT name, geom, population FROM settlements WHERE population > 0 ORDER BY fid
