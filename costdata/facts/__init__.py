"""The cost facts and their rollups: the window writes (spool, load, merge, rollups), the reads behind
pages and the costs API, and the data version their caches key on."""
