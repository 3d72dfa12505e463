-- safeground schema 15: a task called off [IMAS 07.11]. The authority
-- cancels a task that will not be done (the operator withdrawn, the ground
-- given to another, the hazard found to be none): the day is kept here, the
-- reason in its TASK_CANCELLED event. Work under the task that ends after
-- that day is refused at approval; work done before it stands. A new kind
-- of event, TASK_CANCELLED.
ALTER TABLE tasks ADD COLUMN cancelled_on DATE;
INSERT INTO event_kinds (kind) VALUES ('TASK_CANCELLED');
