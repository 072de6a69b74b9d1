// Original file: proto/inference.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AudioIn as _engine_inference_v1_AudioIn, AudioIn__Output as _engine_inference_v1_AudioIn__Output } from '../../../engine/inference/v1/AudioIn.js';
import type { AudioOut as _engine_inference_v1_AudioOut, AudioOut__Output as _engine_inference_v1_AudioOut__Output } from '../../../engine/inference/v1/AudioOut.js';
import type { GetStatusRequest as _engine_inference_v1_GetStatusRequest, GetStatusRequest__Output as _engine_inference_v1_GetStatusRequest__Output } from '../../../engine/inference/v1/GetStatusRequest.js';
import type { PoolStatus as _engine_inference_v1_PoolStatus, PoolStatus__Output as _engine_inference_v1_PoolStatus__Output } from '../../../engine/inference/v1/PoolStatus.js';
import type { SynthesizeRequest as _engine_inference_v1_SynthesizeRequest, SynthesizeRequest__Output as _engine_inference_v1_SynthesizeRequest__Output } from '../../../engine/inference/v1/SynthesizeRequest.js';
import type { SynthesizeResponse as _engine_inference_v1_SynthesizeResponse, SynthesizeResponse__Output as _engine_inference_v1_SynthesizeResponse__Output } from '../../../engine/inference/v1/SynthesizeResponse.js';
import type { TranscribeRequest as _engine_inference_v1_TranscribeRequest, TranscribeRequest__Output as _engine_inference_v1_TranscribeRequest__Output } from '../../../engine/inference/v1/TranscribeRequest.js';
import type { TranscribeResponse as _engine_inference_v1_TranscribeResponse, TranscribeResponse__Output as _engine_inference_v1_TranscribeResponse__Output } from '../../../engine/inference/v1/TranscribeResponse.js';
import type { VideoIn as _engine_inference_v1_VideoIn, VideoIn__Output as _engine_inference_v1_VideoIn__Output } from '../../../engine/inference/v1/VideoIn.js';
import type { VideoOut as _engine_inference_v1_VideoOut, VideoOut__Output as _engine_inference_v1_VideoOut__Output } from '../../../engine/inference/v1/VideoOut.js';

export interface InferenceClient extends grpc.Client {
  GetStatus(argument: _engine_inference_v1_GetStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_PoolStatus__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _engine_inference_v1_GetStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_engine_inference_v1_PoolStatus__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _engine_inference_v1_GetStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_PoolStatus__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _engine_inference_v1_GetStatusRequest, callback: grpc.requestCallback<_engine_inference_v1_PoolStatus__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _engine_inference_v1_GetStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_PoolStatus__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _engine_inference_v1_GetStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_engine_inference_v1_PoolStatus__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _engine_inference_v1_GetStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_PoolStatus__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _engine_inference_v1_GetStatusRequest, callback: grpc.requestCallback<_engine_inference_v1_PoolStatus__Output>): grpc.ClientUnaryCall;
  
  StreamAudio(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_engine_inference_v1_AudioIn, _engine_inference_v1_AudioOut__Output>;
  StreamAudio(options?: grpc.CallOptions): grpc.ClientDuplexStream<_engine_inference_v1_AudioIn, _engine_inference_v1_AudioOut__Output>;
  streamAudio(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_engine_inference_v1_AudioIn, _engine_inference_v1_AudioOut__Output>;
  streamAudio(options?: grpc.CallOptions): grpc.ClientDuplexStream<_engine_inference_v1_AudioIn, _engine_inference_v1_AudioOut__Output>;
  
  StreamVideo(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_engine_inference_v1_VideoIn, _engine_inference_v1_VideoOut__Output>;
  StreamVideo(options?: grpc.CallOptions): grpc.ClientDuplexStream<_engine_inference_v1_VideoIn, _engine_inference_v1_VideoOut__Output>;
  streamVideo(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_engine_inference_v1_VideoIn, _engine_inference_v1_VideoOut__Output>;
  streamVideo(options?: grpc.CallOptions): grpc.ClientDuplexStream<_engine_inference_v1_VideoIn, _engine_inference_v1_VideoOut__Output>;
  
  Synthesize(argument: _engine_inference_v1_SynthesizeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_SynthesizeResponse__Output>): grpc.ClientUnaryCall;
  Synthesize(argument: _engine_inference_v1_SynthesizeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_engine_inference_v1_SynthesizeResponse__Output>): grpc.ClientUnaryCall;
  Synthesize(argument: _engine_inference_v1_SynthesizeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_SynthesizeResponse__Output>): grpc.ClientUnaryCall;
  Synthesize(argument: _engine_inference_v1_SynthesizeRequest, callback: grpc.requestCallback<_engine_inference_v1_SynthesizeResponse__Output>): grpc.ClientUnaryCall;
  synthesize(argument: _engine_inference_v1_SynthesizeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_SynthesizeResponse__Output>): grpc.ClientUnaryCall;
  synthesize(argument: _engine_inference_v1_SynthesizeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_engine_inference_v1_SynthesizeResponse__Output>): grpc.ClientUnaryCall;
  synthesize(argument: _engine_inference_v1_SynthesizeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_SynthesizeResponse__Output>): grpc.ClientUnaryCall;
  synthesize(argument: _engine_inference_v1_SynthesizeRequest, callback: grpc.requestCallback<_engine_inference_v1_SynthesizeResponse__Output>): grpc.ClientUnaryCall;
  
  Transcribe(argument: _engine_inference_v1_TranscribeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_TranscribeResponse__Output>): grpc.ClientUnaryCall;
  Transcribe(argument: _engine_inference_v1_TranscribeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_engine_inference_v1_TranscribeResponse__Output>): grpc.ClientUnaryCall;
  Transcribe(argument: _engine_inference_v1_TranscribeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_TranscribeResponse__Output>): grpc.ClientUnaryCall;
  Transcribe(argument: _engine_inference_v1_TranscribeRequest, callback: grpc.requestCallback<_engine_inference_v1_TranscribeResponse__Output>): grpc.ClientUnaryCall;
  transcribe(argument: _engine_inference_v1_TranscribeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_TranscribeResponse__Output>): grpc.ClientUnaryCall;
  transcribe(argument: _engine_inference_v1_TranscribeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_engine_inference_v1_TranscribeResponse__Output>): grpc.ClientUnaryCall;
  transcribe(argument: _engine_inference_v1_TranscribeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_TranscribeResponse__Output>): grpc.ClientUnaryCall;
  transcribe(argument: _engine_inference_v1_TranscribeRequest, callback: grpc.requestCallback<_engine_inference_v1_TranscribeResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface InferenceHandlers extends grpc.UntypedServiceImplementation {
  GetStatus: grpc.handleUnaryCall<_engine_inference_v1_GetStatusRequest__Output, _engine_inference_v1_PoolStatus>;
  
  StreamAudio: grpc.handleBidiStreamingCall<_engine_inference_v1_AudioIn__Output, _engine_inference_v1_AudioOut>;
  
  StreamVideo: grpc.handleBidiStreamingCall<_engine_inference_v1_VideoIn__Output, _engine_inference_v1_VideoOut>;
  
  Synthesize: grpc.handleUnaryCall<_engine_inference_v1_SynthesizeRequest__Output, _engine_inference_v1_SynthesizeResponse>;
  
  Transcribe: grpc.handleUnaryCall<_engine_inference_v1_TranscribeRequest__Output, _engine_inference_v1_TranscribeResponse>;
  
}

export interface InferenceDefinition extends grpc.ServiceDefinition {
  GetStatus: MethodDefinition<_engine_inference_v1_GetStatusRequest, _engine_inference_v1_PoolStatus, _engine_inference_v1_GetStatusRequest__Output, _engine_inference_v1_PoolStatus__Output>
  StreamAudio: MethodDefinition<_engine_inference_v1_AudioIn, _engine_inference_v1_AudioOut, _engine_inference_v1_AudioIn__Output, _engine_inference_v1_AudioOut__Output>
  StreamVideo: MethodDefinition<_engine_inference_v1_VideoIn, _engine_inference_v1_VideoOut, _engine_inference_v1_VideoIn__Output, _engine_inference_v1_VideoOut__Output>
  Synthesize: MethodDefinition<_engine_inference_v1_SynthesizeRequest, _engine_inference_v1_SynthesizeResponse, _engine_inference_v1_SynthesizeRequest__Output, _engine_inference_v1_SynthesizeResponse__Output>
  Transcribe: MethodDefinition<_engine_inference_v1_TranscribeRequest, _engine_inference_v1_TranscribeResponse, _engine_inference_v1_TranscribeRequest__Output, _engine_inference_v1_TranscribeResponse__Output>
}
