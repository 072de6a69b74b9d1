CREATE TABLE "kb_chunks" (
	"kb_id" text NOT NULL,
	"doc_id" text NOT NULL,
	"chunk_index" integer NOT NULL,
	"title" text,
	"text" text NOT NULL,
	"search" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('english', coalesce("title", '')), 'B') || setweight(to_tsvector('english', "text"), 'A')) STORED NOT NULL,
	CONSTRAINT "kb_chunks_pk" PRIMARY KEY("kb_id","doc_id","chunk_index")
);
--> statement-breakpoint
CREATE TABLE "kb_documents" (
	"kb_id" text NOT NULL,
	"doc_id" text NOT NULL,
	"title" text,
	"format" text NOT NULL,
	"content" text NOT NULL,
	"bytes" integer NOT NULL,
	"chunk_count" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "kb_documents_pk" PRIMARY KEY("kb_id","doc_id")
);
--> statement-breakpoint
CREATE TABLE "tutor_turns" (
	"session_id" text NOT NULL,
	"turn_id" integer NOT NULL,
	"role" text NOT NULL,
	"role_order" integer NOT NULL,
	"kind" text NOT NULL,
	"text" text NOT NULL,
	"outcome" text NOT NULL,
	"error_code" text,
	"details" jsonb NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone NOT NULL,
	CONSTRAINT "tutor_turns_pk" PRIMARY KEY("session_id","turn_id","role")
);
--> statement-breakpoint
CREATE TABLE "tutors" (
	"id" text PRIMARY KEY NOT NULL,
	"settings" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "kb_chunks" ADD CONSTRAINT "kb_chunks_document_fk" FOREIGN KEY ("kb_id","doc_id") REFERENCES "public"."kb_documents"("kb_id","doc_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tutor_turns" ADD CONSTRAINT "tutor_turns_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "kb_chunks_search_idx" ON "kb_chunks" USING gin ("search");--> statement-breakpoint
CREATE INDEX "tutor_turns_session_order_idx" ON "tutor_turns" USING btree ("session_id","turn_id","role_order");