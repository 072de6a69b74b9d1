// Original file: proto/inference.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AudioIn as _engine_inference_v1_AudioIn, AudioIn__Output as _engine_inference_v1_AudioIn__Output } from '../../../engine/inference/v1/AudioIn.js';
import type { AudioOut as _engine_inference_v1_AudioOut, AudioOut__Output as _engine_inference_v1_AudioOut__Output } from '../../../engine/inference/v1/AudioOut.js';
import type { DeepfakeResponse as _engine_inference_v1_DeepfakeResponse, DeepfakeResponse__Output as _engine_inference_v1_DeepfakeResponse__Output } from '../../../engine/inference/v1/DeepfakeResponse.js';
import type { EnhanceRequest as _engine_inference_v1_EnhanceRequest, EnhanceRequest__Output as _engine_inference_v1_EnhanceRequest__Output } from '../../../engine/inference/v1/EnhanceRequest.js';
import type { EnhanceResponse as _engine_inference_v1_EnhanceResponse, EnhanceResponse__Output as _engine_inference_v1_EnhanceResponse__Output } from '../../../engine/inference/v1/EnhanceResponse.js';
import type { GetStatusRequest as _engine_inference_v1_GetStatusRequest, GetStatusRequest__Output as _engine_inference_v1_GetStatusRequest__Output } from '../../../engine/inference/v1/GetStatusRequest.js';
import type { ImageFaces as _engine_inference_v1_ImageFaces, ImageFaces__Output as _engine_inference_v1_ImageFaces__Output } from '../../../engine/inference/v1/ImageFaces.js';
import type { ImageRequest as _engine_inference_v1_ImageRequest, ImageRequest__Output as _engine_inference_v1_ImageRequest__Output } from '../../../engine/inference/v1/ImageRequest.js';
import type { PoolStatus as _engine_inference_v1_PoolStatus, PoolStatus__Output as _engine_inference_v1_PoolStatus__Output } from '../../../engine/inference/v1/PoolStatus.js';
import type { SynthesizeRequest as _engine_inference_v1_SynthesizeRequest, SynthesizeRequest__Output as _engine_inference_v1_SynthesizeRequest__Output } from '../../../engine/inference/v1/SynthesizeRequest.js';
import type { SynthesizeResponse as _engine_inference_v1_SynthesizeResponse, SynthesizeResponse__Output as _engine_inference_v1_SynthesizeResponse__Output } from '../../../engine/inference/v1/SynthesizeResponse.js';
import type { TranscribeRequest as _engine_inference_v1_TranscribeRequest, TranscribeRequest__Output as _engine_inference_v1_TranscribeRequest__Output } from '../../../engine/inference/v1/TranscribeRequest.js';
import type { TranscribeResponse as _engine_inference_v1_TranscribeResponse, TranscribeResponse__Output as _engine_inference_v1_TranscribeResponse__Output } from '../../../engine/inference/v1/TranscribeResponse.js';
import type { VideoIn as _engine_inference_v1_VideoIn, VideoIn__Output as _engine_inference_v1_VideoIn__Output } from '../../../engine/inference/v1/VideoIn.js';
import type { VideoOut as _engine_inference_v1_VideoOut, VideoOut__Output as _engine_inference_v1_VideoOut__Output } from '../../../engine/inference/v1/VideoOut.js';

export interface InferenceClient extends grpc.Client {
  DetectDeepfake(argument: _engine_inference_v1_ImageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_DeepfakeResponse__Output>): grpc.ClientUnaryCall;
  DetectDeepfake(argument: _engine_inference_v1_ImageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_engine_inference_v1_DeepfakeResponse__Output>): grpc.ClientUnaryCall;
  DetectDeepfake(argument: _engine_inference_v1_ImageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_DeepfakeResponse__Output>): grpc.ClientUnaryCall;
  DetectDeepfake(argument: _engine_inference_v1_ImageRequest, callback: grpc.requestCallback<_engine_inference_v1_DeepfakeResponse__Output>): grpc.ClientUnaryCall;
  detectDeepfake(argument: _engine_inference_v1_ImageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_DeepfakeResponse__Output>): grpc.ClientUnaryCall;
  detectDeepfake(argument: _engine_inference_v1_ImageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_engine_inference_v1_DeepfakeResponse__Output>): grpc.ClientUnaryCall;
  detectDeepfake(argument: _engine_inference_v1_ImageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_DeepfakeResponse__Output>): grpc.ClientUnaryCall;
  detectDeepfake(argument: _engine_inference_v1_ImageRequest, callback: grpc.requestCallback<_engine_inference_v1_DeepfakeResponse__Output>): grpc.ClientUnaryCall;
  
  DetectFaces(argument: _engine_inference_v1_ImageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_ImageFaces__Output>): grpc.ClientUnaryCall;
  DetectFaces(argument: _engine_inference_v1_ImageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_engine_inference_v1_ImageFaces__Output>): grpc.ClientUnaryCall;
  DetectFaces(argument: _engine_inference_v1_ImageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_ImageFaces__Output>): grpc.ClientUnaryCall;
  DetectFaces(argument: _engine_inference_v1_ImageRequest, callback: grpc.requestCallback<_engine_inference_v1_ImageFaces__Output>): grpc.ClientUnaryCall;
  detectFaces(argument: _engine_inference_v1_ImageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_ImageFaces__Output>): grpc.ClientUnaryCall;
  detectFaces(argument: _engine_inference_v1_ImageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_engine_inference_v1_ImageFaces__Output>): grpc.ClientUnaryCall;
  detectFaces(argument: _engine_inference_v1_ImageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_ImageFaces__Output>): grpc.ClientUnaryCall;
  detectFaces(argument: _engine_inference_v1_ImageRequest, callback: grpc.requestCallback<_engine_inference_v1_ImageFaces__Output>): grpc.ClientUnaryCall;
  
  EnhanceImage(argument: _engine_inference_v1_EnhanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_EnhanceResponse__Output>): grpc.ClientUnaryCall;
  EnhanceImage(argument: _engine_inference_v1_EnhanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_engine_inference_v1_EnhanceResponse__Output>): grpc.ClientUnaryCall;
  EnhanceImage(argument: _engine_inference_v1_EnhanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_EnhanceResponse__Output>): grpc.ClientUnaryCall;
  EnhanceImage(argument: _engine_inference_v1_EnhanceRequest, callback: grpc.requestCallback<_engine_inference_v1_EnhanceResponse__Output>): grpc.ClientUnaryCall;
  enhanceImage(argument: _engine_inference_v1_EnhanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_EnhanceResponse__Output>): grpc.ClientUnaryCall;
  enhanceImage(argument: _engine_inference_v1_EnhanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_engine_inference_v1_EnhanceResponse__Output>): grpc.ClientUnaryCall;
  enhanceImage(argument: _engine_inference_v1_EnhanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_engine_inference_v1_EnhanceResponse__Output>): grpc.ClientUnaryCall;
  enhanceImage(argument: _engine_inference_v1_EnhanceRequest, callback: grpc.requestCallback<_engine_inference_v1_EnhanceResponse__Output>): grpc.ClientUnaryCall;
  
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
  DetectDeepfake: grpc.handleUnaryCall<_engine_inference_v1_ImageRequest__Output, _engine_inference_v1_DeepfakeResponse>;
  
  DetectFaces: grpc.handleUnaryCall<_engine_inference_v1_ImageRequest__Output, _engine_inference_v1_ImageFaces>;
  
  EnhanceImage: grpc.handleUnaryCall<_engine_inference_v1_EnhanceRequest__Output, _engine_inference_v1_EnhanceResponse>;
  
  GetStatus: grpc.handleUnaryCall<_engine_inference_v1_GetStatusRequest__Output, _engine_inference_v1_PoolStatus>;
  
  StreamAudio: grpc.handleBidiStreamingCall<_engine_inference_v1_AudioIn__Output, _engine_inference_v1_AudioOut>;
  
  StreamVideo: grpc.handleBidiStreamingCall<_engine_inference_v1_VideoIn__Output, _engine_inference_v1_VideoOut>;
  
  Synthesize: grpc.handleUnaryCall<_engine_inference_v1_SynthesizeRequest__Output, _engine_inference_v1_SynthesizeResponse>;
  
  Transcribe: grpc.handleUnaryCall<_engine_inference_v1_TranscribeRequest__Output, _engine_inference_v1_TranscribeResponse>;
  
}

export interface InferenceDefinition extends grpc.ServiceDefinition {
  DetectDeepfake: MethodDefinition<_engine_inference_v1_ImageRequest, _engine_inference_v1_DeepfakeResponse, _engine_inference_v1_ImageRequest__Output, _engine_inference_v1_DeepfakeResponse__Output>
  DetectFaces: MethodDefinition<_engine_inference_v1_ImageRequest, _engine_inference_v1_ImageFaces, _engine_inference_v1_ImageRequest__Output, _engine_inference_v1_ImageFaces__Output>
  EnhanceImage: MethodDefinition<_engine_inference_v1_EnhanceRequest, _engine_inference_v1_EnhanceResponse, _engine_inference_v1_EnhanceRequest__Output, _engine_inference_v1_EnhanceResponse__Output>
  GetStatus: MethodDefinition<_engine_inference_v1_GetStatusRequest, _engine_inference_v1_PoolStatus, _engine_inference_v1_GetStatusRequest__Output, _engine_inference_v1_PoolStatus__Output>
  StreamAudio: MethodDefinition<_engine_inference_v1_AudioIn, _engine_inference_v1_AudioOut, _engine_inference_v1_AudioIn__Output, _engine_inference_v1_AudioOut__Output>
  StreamVideo: MethodDefinition<_engine_inference_v1_VideoIn, _engine_inference_v1_VideoOut, _engine_inference_v1_VideoIn__Output, _engine_inference_v1_VideoOut__Output>
  Synthesize: MethodDefinition<_engine_inference_v1_SynthesizeRequest, _engine_inference_v1_SynthesizeResponse, _engine_inference_v1_SynthesizeRequest__Output, _engine_inference_v1_SynthesizeResponse__Output>
  Transcribe: MethodDefinition<_engine_inference_v1_TranscribeRequest, _engine_inference_v1_TranscribeResponse, _engine_inference_v1_TranscribeRequest__Output, _engine_inference_v1_TranscribeResponse__Output>
}
