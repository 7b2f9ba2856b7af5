CREATE TABLE `rollout_stage_merges` (
	`rollout_id` text PRIMARY KEY NOT NULL,
	`stage_key` text NOT NULL,
	`targets_hash` text NOT NULL,
	`last_id` integer NOT NULL,
	`state` text NOT NULL,
	`saved_at` integer NOT NULL
);
