-- The reviewer's queue at scale (BENCHMARKS.md, "Scale"): a city office's
-- page of one state, oldest confirmation first, and the province's page of
-- one state, each read in order from an index without sorting the state's
-- rows; the counts per state of a city read the city's index entries only.
-- The first index extends transfer_outs_queue, which it replaces.
DROP INDEX transfer_outs_queue;
CREATE INDEX transfer_outs_city_queue ON transfer_outs (city, state, confirmed_at, created_at);
CREATE INDEX transfer_outs_state_queue ON transfer_outs (state, confirmed_at, created_at);
