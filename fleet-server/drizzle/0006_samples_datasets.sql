CREATE TABLE `dataset_samples` (
	`dataset_id` text NOT NULL,
	`sha256` text NOT NULL,
	`content_type` text NOT NULL,
	`size_bytes` integer NOT NULL,
	`label` text,
	PRIMARY KEY(`dataset_id`, `sha256`)
);
--> statement-breakpoint
CREATE INDEX `dataset_samples_sha` ON `dataset_samples` (`sha256`);--> statement-breakpoint
CREATE TABLE `datasets` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`filter` text NOT NULL,
	`labelled_only` integer NOT NULL,
	`max_samples` integer NOT NULL,
	`sample_count` integer NOT NULL,
	`truncated` integer NOT NULL,
	`total_bytes` integer NOT NULL,
	`provenance` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sample_budget_days` (
	`client_key` text NOT NULL,
	`model_name` text NOT NULL,
	`day_ms` integer NOT NULL,
	`day` text NOT NULL,
	PRIMARY KEY(`client_key`, `model_name`, `day_ms`)
);
--> statement-breakpoint
CREATE TABLE `sample_captures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`sha256` text NOT NULL,
	`client_id` text NOT NULL,
	`device_id` text,
	`app_id` text,
	`device_labels` text NOT NULL,
	`model_name` text NOT NULL,
	`model_version` text NOT NULL,
	`reasons` text NOT NULL,
	`top` text NOT NULL,
	`predicted` text,
	`features` text NOT NULL,
	`prediction_id` text,
	`captured_at` integer NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sample_captures_identity` ON `sample_captures` (`sha256`,`client_id`);--> statement-breakpoint
CREATE INDEX `sample_captures_time` ON `sample_captures` (`captured_at`,`id`);--> statement-breakpoint
CREATE INDEX `sample_captures_model` ON `sample_captures` (`model_name`,`captured_at`);--> statement-breakpoint
CREATE TABLE `samples` (
	`sha256` text PRIMARY KEY NOT NULL,
	`content_type` text NOT NULL,
	`size_bytes` integer NOT NULL,
	`width` integer,
	`height` integer,
	`label` text,
	`labelled_by` text,
	`labelled_at` integer,
	`last_seen_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `samples_retention` ON `samples` (`label`,`last_seen_at`);--> statement-breakpoint
ALTER TABLE `automation_settings` ADD `kind` text DEFAULT 'automation' NOT NULL;