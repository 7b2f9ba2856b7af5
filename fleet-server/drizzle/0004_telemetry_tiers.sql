CREATE TABLE `telemetry_client_marks` (
	`scope` text NOT NULL,
	`source_id` text NOT NULL,
	`client_id` text NOT NULL,
	`epoch` integer NOT NULL,
	`pruned_seq` integer NOT NULL,
	PRIMARY KEY(`scope`, `source_id`, `client_id`, `epoch`)
);
--> statement-breakpoint
CREATE TABLE `telemetry_daily` (
	`model_name` text NOT NULL,
	`model_version` text NOT NULL,
	`role` text NOT NULL,
	`scope` text NOT NULL,
	`source_id` text NOT NULL,
	`day_ms` integer NOT NULL,
	`spec_hash` text NOT NULL,
	`reports` integer NOT NULL,
	`inferences` integer NOT NULL,
	`errors` integer NOT NULL,
	`profile` text NOT NULL,
	`feedback` text,
	`feedback_reports` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`model_name`, `model_version`, `role`, `scope`, `source_id`, `day_ms`)
);
--> statement-breakpoint
CREATE INDEX `telemetry_daily_version_day` ON `telemetry_daily` (`model_name`,`model_version`,`day_ms`);--> statement-breakpoint
CREATE TABLE `telemetry_fleet` (
	`model_name` text NOT NULL,
	`model_version` text NOT NULL,
	`role` text NOT NULL,
	`period` text NOT NULL,
	`start_ms` integer NOT NULL,
	`spec_hash` text NOT NULL,
	`reports` integer NOT NULL,
	`inferences` integer NOT NULL,
	`errors` integer NOT NULL,
	`profile` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`model_name`, `model_version`, `role`, `period`, `start_ms`)
);
--> statement-breakpoint
CREATE INDEX `telemetry_fleet_updated` ON `telemetry_fleet` (`updated_at`);--> statement-breakpoint
CREATE TABLE `telemetry_tier_state` (
	`name` text PRIMARY KEY NOT NULL,
	`value_ms` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `telemetry_aggregates` ADD `feedback` text;--> statement-breakpoint
ALTER TABLE `telemetry_aggregates` ADD `feedback_reports` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `telemetry_aggregates_updated` ON `telemetry_aggregates` (`updated_at`);