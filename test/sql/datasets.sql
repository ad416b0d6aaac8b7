-- Published datasets: what smpc.publish checks and stores, unpublishing,
-- and what smpc_run refuses at its own party before it asks any partner.
SELECT smpc.create_federation('ds', 'a', ARRAY['a', 'b', 'c']);
CREATE TABLE spend (year integer, amount integer, note text);
INSERT INTO spend VALUES (2026, 10, 'x');
CREATE ROLE ds_runner LOGIN IN ROLE smpc_analyst;
CREATE ROLE ds_nologin IN ROLE smpc_analyst;
CREATE ROLE ds_analyst LOGIN IN ROLE smpc_analyst;
GRANT SELECT ON spend TO ds_runner, ds_nologin;
SELECT smpc.grant_results('ds', 'smpc_analyst');

SELECT smpc.publish('ds', 'spending', 'SELECT amount, year FROM spend WHERE year = 2026',
                    ARRAY['amount'], run_as => 'ds_runner');
SELECT federation, name, query, columns, aggregates, starters, run_as, require_bounds,
       published_by = current_user AS by_me
FROM smpc.datasets;
-- Publishing again replaces the publication.
SELECT smpc.publish('ds', 'spending', 'SELECT amount, year FROM spend', ARRAY['amount', 'year'],
                    aggregates => ARRAY['sum'], starters => ARRAY['b'], run_as => 'ds_runner',
                    require_bounds => false);
SELECT name, query, columns, aggregates, starters, require_bounds FROM smpc.datasets;

-- What is refused.
SELECT smpc.publish('nope', 'x', 'SELECT 1 AS v', ARRAY['v']);
SELECT smpc.publish('ds', '', 'SELECT 1 AS v', ARRAY['v']);
SELECT smpc.publish('ds', repeat('x', 64), 'SELECT 1 AS v', ARRAY['v']);
SELECT smpc.publish('ds', 'x', 'SELECT 1 AS v', ARRAY[]::text[]);
SELECT smpc.publish('ds', 'x', 'SELECT 1 AS v', ARRAY['v', NULL]);
SELECT smpc.publish('ds', 'x', 'SELECT 1 AS v', ARRAY['v'], aggregates => ARRAY['median']);
SELECT smpc.publish('ds', 'x', 'SELECT 1 AS v', ARRAY['v'], starters => ARRAY['a']);
SELECT smpc.publish('ds', 'x', 'SELECT 1 AS v', ARRAY['w']);
SELECT smpc.publish('ds', 'x', 'SELECT note FROM spend', ARRAY['note']);
SELECT smpc.publish('ds', 'x', 'SELECT note FROM spend', ARRAY['note'], aggregates => ARRAY['count']) AS count_of_text;
SELECT smpc.publish('ds', 'x', 'DELETE FROM spend RETURNING amount', ARRAY['amount']);
SELECT smpc.publish('ds', 'x', 'SELECT amount FROM spend; SELECT 1', ARRAY['amount']);
SELECT smpc.publish('ds', 'x', 'WITH gone AS (DELETE FROM spend RETURNING amount) SELECT amount FROM gone', ARRAY['amount']);
SELECT smpc.publish('ds', 'x', 'SELECT amount FROM spend) AS d, pg_sleep(1) AS s --', ARRAY['amount']);
SELECT count(*) AS spend_rows FROM spend;
SELECT smpc.publish('ds', 'x', NULL, ARRAY['amount']);
SELECT smpc.publish('ds', 'x', 'SELECT amount FROM spend', ARRAY['amount'], run_as => 'ds_nologin');
SELECT smpc.publish('ds', 'x', 'SELECT amount FROM spend', ARRAY['amount'], run_as => 'ds_analyst');
SELECT smpc.publish('ds', NULL, 'SELECT 1 AS v', ARRAY['v']);
SET ROLE ds_analyst;
SELECT smpc.publish('ds', 'y', 'SELECT 1 AS v', ARRAY['v']);
RESET ROLE;

-- smpc_run refuses, before it asks any partner, what this party does not publish.
SELECT * FROM smpc_run('ds', 'missing', 'sum', 'amount');
SELECT * FROM smpc_run('ds', 'spending', 'median', 'amount');
SELECT * FROM smpc_run('ds', 'spending', 'avg', 'amount');
SELECT * FROM smpc_run('ds', 'spending', 'sum', 'note');
SELECT * FROM smpc_run('ds', NULL, 'sum', 'amount');
SELECT * FROM smpc_run('ds', 'spending', 'sum', 'amount', repeat('j', 1024));
SET ROLE ds_analyst;
SELECT * FROM smpc_run('ds', 'spending', 'sum', 'amount');
RESET ROLE;

-- Unpublishing; dropping the federation drops its datasets.
SELECT smpc.unpublish('ds', 'x') AS x, smpc.unpublish('ds', 'spending') AS spending,
       smpc.unpublish('ds', 'spending') AS again;
SELECT smpc.publish('ds', 'spending', 'SELECT amount FROM spend', ARRAY['amount'], run_as => 'ds_runner');
SELECT smpc.drop_federation('ds');
SELECT count(*) AS datasets_left FROM smpc.datasets;
DROP TABLE spend;
DROP ROLE ds_runner, ds_nologin, ds_analyst;
