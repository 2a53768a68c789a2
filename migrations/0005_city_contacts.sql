-- 联系方式 of the city offices (地市自考部门), shown to candidates on every page of
-- the transfer-out flow. A city without a row has not published its contacts.

CREATE TABLE city_contacts (
    city            TEXT PRIMARY KEY,
    office          TEXT NOT NULL,
    address         TEXT NOT NULL,
    phone           TEXT NOT NULL
);
