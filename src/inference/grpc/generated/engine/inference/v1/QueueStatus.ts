// Original file: proto/inference.proto

import type { Long } from '@grpc/proto-loader';

export interface QueueStatus {
  'queued_live'?: (number);
  'queued_file'?: (number);
  'running'?: (number);
  'completed'?: (number | string | Long);
  'rejected_overloaded'?: (number | string | Long);
  'rejected_deadline'?: (number | string | Long);
}

export interface QueueStatus__Output {
  'queued_live': (number);
  'queued_file': (number);
  'running': (number);
  'completed': (number);
  'rejected_overloaded': (number);
  'rejected_deadline': (number);
}
