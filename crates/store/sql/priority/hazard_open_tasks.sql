-- A hazard in force by its code: its id, status and how many of its tasks are open.
SELECT h.id, h.status,
  (SELECT count(*) FROM tasks t WHERE t.hazard_id = h.id AND t.status IN ('ISSUED', 'IN_PROGRESS'))
FROM hazards h WHERE h.code = ?1 AND h.revoked_at IS NULL
