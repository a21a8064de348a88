-- Run once by the postgres image on an empty volume: plyr gets its own role and database
-- next to Temporal's.
CREATE ROLE plyr LOGIN PASSWORD 'plyr';
CREATE DATABASE plyr OWNER plyr;
