-- The hazard ?1 (by code or id) as it now stands: id, code, name, district, status,
-- area recorded, polygon, benchmark.
SELECT h.id, h.code, h.name, coalesce(d.name, '(no district)'), h.status, h.area_recorded_m2, h.geom,
       h.benchmark_lon, h.benchmark_lat
FROM hazards h
LEFT JOIN districts d ON d.id = h.district_id
WHERE h.code = ?1 COLLATE NOCASE OR h.id = ?1
