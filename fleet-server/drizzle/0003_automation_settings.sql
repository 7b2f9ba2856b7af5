CREATE TABLE `automation_settings` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`model_name` text NOT NULL,
	`target_key` text NOT NULL,
	`target` text NOT NULL,
	`level` text NOT NULL,
	`actor` text NOT NULL,
	`set_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `automation_settings_model` ON `automation_settings` (`model_name`,`id`);