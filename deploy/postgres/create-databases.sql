-- One database per service in one local cluster (production gives each service its own server).
CREATE DATABASE orders;
CREATE DATABASE ledger;
CREATE DATABASE payouts;
