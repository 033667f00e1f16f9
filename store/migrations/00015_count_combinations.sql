-- +goose Up
-- Counters of combined filters: the active clients of each creator and
-- gender, creator and activity, gender and activity, and all three, kept
-- in step like the others (countKeys), so that the count of a filter on
-- several of them reads one counter instead of every client of one of
-- them (the console's list combines them; so does the API's filter
-- endpoint). A combination's dims are joined by "+" and its values by "/",
-- in the order admin, gender, activity. Like the other counters they count
-- the published clients only (import.go's visible).
INSERT INTO client_count_slots (org_id, dim, value, slot, n)
    SELECT c.org_id, 'admin+gender', c.created_by || '/' || c.gender, 0, count(*)
    FROM clients c
    WHERE c.deactivated_at IS NULL AND c.gender IS NOT NULL
        AND (c.import_id IS NULL OR EXISTS (SELECT 1 FROM client_imports i WHERE i.id = c.import_id AND i.state = 'published'))
    GROUP BY c.org_id, c.created_by, c.gender;
INSERT INTO client_count_slots (org_id, dim, value, slot, n)
    SELECT c.org_id, 'admin+activity', c.created_by || '/' || a.activity, 0, count(*)
    FROM clients c JOIN client_activities a ON a.client_id = c.id
    WHERE c.deactivated_at IS NULL
        AND (c.import_id IS NULL OR EXISTS (SELECT 1 FROM client_imports i WHERE i.id = c.import_id AND i.state = 'published'))
    GROUP BY c.org_id, c.created_by, a.activity;
INSERT INTO client_count_slots (org_id, dim, value, slot, n)
    SELECT c.org_id, 'gender+activity', c.gender || '/' || a.activity, 0, count(*)
    FROM clients c JOIN client_activities a ON a.client_id = c.id
    WHERE c.deactivated_at IS NULL AND c.gender IS NOT NULL
        AND (c.import_id IS NULL OR EXISTS (SELECT 1 FROM client_imports i WHERE i.id = c.import_id AND i.state = 'published'))
    GROUP BY c.org_id, c.gender, a.activity;
INSERT INTO client_count_slots (org_id, dim, value, slot, n)
    SELECT c.org_id, 'admin+gender+activity', c.created_by || '/' || c.gender || '/' || a.activity, 0, count(*)
    FROM clients c JOIN client_activities a ON a.client_id = c.id
    WHERE c.deactivated_at IS NULL AND c.gender IS NOT NULL
        AND (c.import_id IS NULL OR EXISTS (SELECT 1 FROM client_imports i WHERE i.id = c.import_id AND i.state = 'published'))
    GROUP BY c.org_id, c.created_by, c.gender, a.activity;

-- +goose Down
DELETE FROM client_count_slots WHERE dim LIKE '%+%';
