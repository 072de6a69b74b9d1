ALTER TABLE "sessions" ADD COLUMN "process_id" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "room_options" jsonb;