-- 0002_categories.sql: the categories a resident can choose from at the start.
--
-- code is the Open311 service_code and never changes once published; target_days sets the due
-- date of a complaint filed in the category. Re-runnable: a category already there (from an
-- earlier half-applied run) is brought back to these values.

INSERT INTO categories (code, name, description, keywords, group_name, target_days, sort_order)
VALUES
	('streetlight', 'Streetlight', 'A street lamp that is out, flickering or on during the day.',
	 'lamp, light, dark', 'Streets', 7, 10),
	('water_leak', 'Water leak', 'Water leaking from a main, a hydrant or a pipe in a public place.',
	 'water, pipe, burst, hydrant', 'Water', 2, 20),
	('road_damage', 'Road damage', 'Potholes, broken pavement, damaged signs or road markings.',
	 'pothole, pavement, sidewalk, sign', 'Streets', 14, 30),
	('garbage', 'Garbage', 'Missed collections, overflowing bins and dumped rubbish.',
	 'rubbish, trash, bin, dumping, litter', 'Sanitation', 3, 40),
	('drainage', 'Drainage', 'Blocked drains, flooding and sewer smells.',
	 'drain, flood, sewer, gully', 'Water', 5, 50),
	('other', 'Other', 'Anything else the city should look at.',
	 '', 'Other', 14, 900)
ON DUPLICATE KEY UPDATE
	name = VALUES(name),
	description = VALUES(description),
	keywords = VALUES(keywords),
	group_name = VALUES(group_name),
	target_days = VALUES(target_days),
	sort_order = VALUES(sort_order);
