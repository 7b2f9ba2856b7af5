CREATE TABLE `telemetry_aggregates` (
	`model_name` text NOT NULL,
	`model_version` text NOT NULL,
	`role` text NOT NULL,
	`scope` text NOT NULL,
	`source_id` text NOT NULL,
	`hour_ms` integer NOT NULL,
	`spec_hash` text NOT NULL,
	`reports` integer NOT NULL,
	`inferences` integer NOT NULL,
	`errors` integer NOT NULL,
	`profile` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`model_name`, `model_version`, `role`, `scope`, `source_id`, `hour_ms`)
);
--> statement-breakpoint
CREATE INDEX `telemetry_aggregates_version_hour` ON `telemetry_aggregates` (`model_name`,`model_version`,`hour_ms`);--> statement-breakpoint
CREATE TABLE `telemetry_reports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`scope` text NOT NULL,
	`source_id` text NOT NULL,
	`client_id` text NOT NULL,
	`epoch` integer NOT NULL,
	`seq` integer NOT NULL,
	`model_name` text NOT NULL,
	`model_version` text NOT NULL,
	`role` text NOT NULL,
	`window_start_ms` integer NOT NULL,
	`window_end_ms` integer NOT NULL,
	`spec_hash` text NOT NULL,
	`status` text NOT NULL,
	`inferences` integer NOT NULL,
	`errors` integer NOT NULL,
	`runtime` text NOT NULL,
	`overflow` text NOT NULL,
	`profile` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `telemetry_reports_client_seq` ON `telemetry_reports` (`scope`,`source_id`,`client_id`,`epoch`,`seq`);--> statement-breakpoint
CREATE INDEX `telemetry_reports_version_window` ON `telemetry_reports` (`model_name`,`model_version`,`window_start_ms`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_artifacts` (
	`sha256` text PRIMARY KEY NOT NULL,
	`size_bytes` integer NOT NULL,
	`format` text NOT NULL,
	`signature` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_artifacts`("sha256", "size_bytes", "format", "signature", "created_at") SELECT "sha256", "size_bytes", "format", "signature", "created_at" FROM `artifacts`;--> statement-breakpoint
DROP TABLE `artifacts`;--> statement-breakpoint
ALTER TABLE `__new_artifacts` RENAME TO `artifacts`;--> statement-breakpoint
PRAGMA foreign_keys=ON;