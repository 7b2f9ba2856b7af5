// Preload (`node --import`) that sets this process's clock off by EDGEFLEET_TEST_CLOCK_OFFSET_MS: a station
// whose clock is wrong. Only Date.now moves (what the agent stamps windows and messages with).
const offset = Number(process.env.EDGEFLEET_TEST_CLOCK_OFFSET_MS ?? 0);
const realNow = Date.now;
Date.now = () => realNow() + offset;
