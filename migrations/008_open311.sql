-- Open311 GeoReport v2 (issue 9): where the citizen put the request on a map, in WGS 84 degrees.
ALTER TABLE inquiries
    ADD COLUMN lat double precision CHECK (lat BETWEEN -90 AND 90),
    ADD COLUMN long double precision CHECK (long BETWEEN -180 AND 180),
    ADD CONSTRAINT inquiries_lat_long_together CHECK ((lat IS NULL) = (long IS NULL));
