CREATE TABLE `alerts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`key` text NOT NULL,
	`severity` text NOT NULL,
	`subject` text NOT NULL,
	`message` text NOT NULL,
	`details` text NOT NULL,
	`first_seen_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`count` integer DEFAULT 1 NOT NULL,
	`resolved_at` integer,
	`acknowledged_at` integer,
	`acknowledged_by` text,
	`ack_note` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alerts_open_key` ON `alerts` (`key`) WHERE resolved_at is null;--> statement-breakpoint
CREATE INDEX `alerts_kind_resolved` ON `alerts` (`kind`,`resolved_at`);--> statement-breakpoint
CREATE INDEX `alerts_last_seen` ON `alerts` (`last_seen_at`);--> statement-breakpoint
CREATE TABLE `apps` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`publishable_key` text NOT NULL,
	`allowed_origins` text NOT NULL,
	`created_at` integer NOT NULL,
	`disabled_at` integer,
	`plan` text,
	`plan_rev` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `apps_name_unique` ON `apps` (`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `apps_publishable_key_unique` ON `apps` (`publishable_key`);--> statement-breakpoint
CREATE TABLE `artifacts` (
	`sha256` text PRIMARY KEY NOT NULL,
	`size_bytes` integer NOT NULL,
	`format` text NOT NULL,
	`signature` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `devices` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`name` text,
	`labels` text NOT NULL,
	`enrollment_token_id` text,
	`created_at` integer NOT NULL,
	`disabled_at` integer,
	`online` integer DEFAULT false NOT NULL,
	`epoch` integer DEFAULT 0 NOT NULL,
	`presence_at` integer,
	`last_seen_at` integer,
	`connected_at` integer,
	`reported_state` text,
	`reported_at` integer,
	`applied_rev` integer DEFAULT 0 NOT NULL,
	`desired_state` text,
	`desired_rev` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `devices_online` ON `devices` (`online`);--> statement-breakpoint
CREATE TABLE `enrollment_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`labels` text NOT NULL,
	`max_uses` integer,
	`uses` integer DEFAULT 0 NOT NULL,
	`expires_at` integer,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `enrollment_tokens_token_hash_unique` ON `enrollment_tokens` (`token_hash`);--> statement-breakpoint
CREATE TABLE `admin_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`label` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `admin_tokens_token_hash_unique` ON `admin_tokens` (`token_hash`);--> statement-breakpoint
CREATE TABLE `fleet_settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `model_versions` (
	`id` text PRIMARY KEY NOT NULL,
	`model_name` text NOT NULL,
	`version` text NOT NULL,
	`artifact_sha256` text NOT NULL,
	`preprocessing` text NOT NULL,
	`lineage` text NOT NULL,
	`baseline` text,
	`baseline_sha256` text,
	`golden` text,
	`manifest` text NOT NULL,
	`manifest_signature` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`deprecated_at` integer,
	`deprecation_reason` text,
	FOREIGN KEY (`model_name`) REFERENCES `models`(`name`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`artifact_sha256`) REFERENCES `artifacts`(`sha256`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `model_versions_name_version` ON `model_versions` (`model_name`,`version`);--> statement-breakpoint
CREATE INDEX `model_versions_artifact` ON `model_versions` (`artifact_sha256`);--> statement-breakpoint
CREATE TABLE `models` (
	`name` text PRIMARY KEY NOT NULL,
	`description` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `rollout_audit` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`rollout_id` text NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	`event` text NOT NULL,
	`from_status` text,
	`to_status` text NOT NULL,
	`stage_index` integer NOT NULL,
	`reason` text NOT NULL,
	`gates` text NOT NULL,
	FOREIGN KEY (`rollout_id`) REFERENCES `rollouts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `rollout_audit_rollout` ON `rollout_audit` (`rollout_id`,`id`);--> statement-breakpoint
CREATE TABLE `rollouts` (
	`id` text PRIMARY KEY NOT NULL,
	`model_name` text NOT NULL,
	`candidate` text NOT NULL,
	`baseline` text,
	`strategy` text NOT NULL,
	`target_key` text NOT NULL,
	`active_key` text,
	`spec` text NOT NULL,
	`status` text NOT NULL,
	`stage_index` integer DEFAULT 0 NOT NULL,
	`stage_started_at` integer,
	`version` integer DEFAULT 1 NOT NULL,
	`last_evaluation` text,
	`settled` integer DEFAULT false NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rollouts_active_key_unique` ON `rollouts` (`active_key`);--> statement-breakpoint
CREATE INDEX `rollouts_status` ON `rollouts` (`status`);--> statement-breakpoint
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
	`software` text,
	`profile` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `telemetry_reports_client_seq` ON `telemetry_reports` (`scope`,`source_id`,`client_id`,`epoch`,`seq`);--> statement-breakpoint
CREATE INDEX `telemetry_reports_version_window` ON `telemetry_reports` (`model_name`,`model_version`,`window_start_ms`);