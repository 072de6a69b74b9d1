CREATE TABLE "transcript_segments" (
	"session_id" text NOT NULL,
	"segment_id" text NOT NULL,
	"participant_id" text NOT NULL,
	"text" text NOT NULL,
	"start_ms" bigint NOT NULL,
	"end_ms" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "transcript_segments_pk" PRIMARY KEY("session_id","segment_id")
);
--> statement-breakpoint
ALTER TABLE "transcript_segments" ADD CONSTRAINT "transcript_segments_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "transcript_segments_session_start_idx" ON "transcript_segments" USING btree ("session_id","start_ms");