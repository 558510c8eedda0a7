-- schema.sql - the eight tables of SPEC section 1 for MySQL / MariaDB (InnoDB).
--
-- Primary keys are BIGINT (enterprise schemas use them; SPEC allows ids up to 2^63-1).
-- Foreign keys are indexed but not enforced: the engine's job is to report orphans
-- (outputs/fk/), so a source must be able to hold them. `ofi load` runs this file.

CREATE TABLE IF NOT EXISTS calendar (
  date_id BIGINT NOT NULL PRIMARY KEY,
  calendar_date DATE NULL,
  year VARCHAR(16) NULL,
  month VARCHAR(16) NULL,
  month_name VARCHAR(16) NULL,
  quarter VARCHAR(16) NULL,
  day_name VARCHAR(16) NULL,
  week_of_year VARCHAR(16) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS customers (
  customer_id BIGINT NOT NULL PRIMARY KEY,
  country VARCHAR(128) NULL,
  region VARCHAR(128) NULL,
  segment VARCHAR(64) NULL,
  signup_year INT NULL,
  segment_multiplier DECIMAL(4,2) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS agents (
  agent_id BIGINT NOT NULL PRIMARY KEY,
  team VARCHAR(128) NULL,
  shift VARCHAR(64) NULL,
  tenure_months INT NULL,
  speed_factor DECIMAL(4,2) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS products (
  product_id BIGINT NOT NULL PRIMARY KEY,
  product_group VARCHAR(128) NULL,
  base_price_eur DECIMAL(10,2) NULL,
  risk_score DECIMAL(8,6) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS issue_catalog (
  issue_id BIGINT NOT NULL PRIMARY KEY,
  issue_category VARCHAR(128) NULL,
  root_cause VARCHAR(255) NULL,
  severity VARCHAR(64) NULL,
  friction_weight DECIMAL(4,2) NULL,
  severity_multiplier DECIMAL(4,2) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cases (
  case_id BIGINT NOT NULL PRIMARY KEY,
  date_id BIGINT NULL,
  customer_id BIGINT NULL,
  agent_id BIGINT NULL,
  product_id BIGINT NULL,
  issue_id BIGINT NULL,
  channel VARCHAR(64) NULL,
  status VARCHAR(64) NULL,
  priority VARCHAR(64) NULL,
  escalated_flag INT NULL,
  reopened_flag INT NULL,
  is_delayed INT NULL,
  delay_minutes INT NULL,
  is_cancelled INT NULL,
  resolution_minutes INT NULL,
  has_refund INT NULL,
  KEY ix_cases_date (date_id),
  KEY ix_cases_customer (customer_id),
  KEY ix_cases_agent (agent_id),
  KEY ix_cases_product (product_id),
  KEY ix_cases_issue (issue_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS case_timeline (
  event_id BIGINT NOT NULL PRIMARY KEY,
  case_id BIGINT NULL,
  event_type VARCHAR(64) NULL,
  event_timestamp DATETIME(6) NULL,
  KEY ix_timeline_case (case_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS refunds (
  refund_id BIGINT NOT NULL PRIMARY KEY,
  case_id BIGINT NULL,
  refund_type VARCHAR(64) NULL,
  refund_amount_eur DECIMAL(12,2) NULL,
  KEY ix_refunds_case (case_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
