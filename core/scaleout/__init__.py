"""Scaling out the database: the Citus distribution plan generated from the models
(``linli citus statements``). See deploy/SCALING.md."""
