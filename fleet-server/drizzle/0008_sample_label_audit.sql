CREATE TABLE `sample_label_audit` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`sha256` text NOT NULL,
	`label` text,
	`previous` text,
	`actor` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sample_label_audit_sample` ON `sample_label_audit` (`sha256`,`id`);