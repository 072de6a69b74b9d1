import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AudioChunk as _engine_inference_v1_AudioChunk, AudioChunk__Output as _engine_inference_v1_AudioChunk__Output } from './engine/inference/v1/AudioChunk.js';
import type { AudioIn as _engine_inference_v1_AudioIn, AudioIn__Output as _engine_inference_v1_AudioIn__Output } from './engine/inference/v1/AudioIn.js';
import type { AudioOut as _engine_inference_v1_AudioOut, AudioOut__Output as _engine_inference_v1_AudioOut__Output } from './engine/inference/v1/AudioOut.js';
import type { BatchStats as _engine_inference_v1_BatchStats, BatchStats__Output as _engine_inference_v1_BatchStats__Output } from './engine/inference/v1/BatchStats.js';
import type { DeepfakeFace as _engine_inference_v1_DeepfakeFace, DeepfakeFace__Output as _engine_inference_v1_DeepfakeFace__Output } from './engine/inference/v1/DeepfakeFace.js';
import type { DeepfakeResponse as _engine_inference_v1_DeepfakeResponse, DeepfakeResponse__Output as _engine_inference_v1_DeepfakeResponse__Output } from './engine/inference/v1/DeepfakeResponse.js';
import type { EnhanceRequest as _engine_inference_v1_EnhanceRequest, EnhanceRequest__Output as _engine_inference_v1_EnhanceRequest__Output } from './engine/inference/v1/EnhanceRequest.js';
import type { EnhanceResponse as _engine_inference_v1_EnhanceResponse, EnhanceResponse__Output as _engine_inference_v1_EnhanceResponse__Output } from './engine/inference/v1/EnhanceResponse.js';
import type { Face as _engine_inference_v1_Face, Face__Output as _engine_inference_v1_Face__Output } from './engine/inference/v1/Face.js';
import type { FrameDropped as _engine_inference_v1_FrameDropped, FrameDropped__Output as _engine_inference_v1_FrameDropped__Output } from './engine/inference/v1/FrameDropped.js';
import type { FrameFaces as _engine_inference_v1_FrameFaces, FrameFaces__Output as _engine_inference_v1_FrameFaces__Output } from './engine/inference/v1/FrameFaces.js';
import type { FrameTimings as _engine_inference_v1_FrameTimings, FrameTimings__Output as _engine_inference_v1_FrameTimings__Output } from './engine/inference/v1/FrameTimings.js';
import type { GetStatusRequest as _engine_inference_v1_GetStatusRequest, GetStatusRequest__Output as _engine_inference_v1_GetStatusRequest__Output } from './engine/inference/v1/GetStatusRequest.js';
import type { HistogramBucket as _engine_inference_v1_HistogramBucket, HistogramBucket__Output as _engine_inference_v1_HistogramBucket__Output } from './engine/inference/v1/HistogramBucket.js';
import type { ImageFaces as _engine_inference_v1_ImageFaces, ImageFaces__Output as _engine_inference_v1_ImageFaces__Output } from './engine/inference/v1/ImageFaces.js';
import type { ImageRequest as _engine_inference_v1_ImageRequest, ImageRequest__Output as _engine_inference_v1_ImageRequest__Output } from './engine/inference/v1/ImageRequest.js';
import type { ImageTimings as _engine_inference_v1_ImageTimings, ImageTimings__Output as _engine_inference_v1_ImageTimings__Output } from './engine/inference/v1/ImageTimings.js';
import type { InferenceClient as _engine_inference_v1_InferenceClient, InferenceDefinition as _engine_inference_v1_InferenceDefinition } from './engine/inference/v1/Inference.js';
import type { InterimRuns as _engine_inference_v1_InterimRuns, InterimRuns__Output as _engine_inference_v1_InterimRuns__Output } from './engine/inference/v1/InterimRuns.js';
import type { ModelStatus as _engine_inference_v1_ModelStatus, ModelStatus__Output as _engine_inference_v1_ModelStatus__Output } from './engine/inference/v1/ModelStatus.js';
import type { PoolStatus as _engine_inference_v1_PoolStatus, PoolStatus__Output as _engine_inference_v1_PoolStatus__Output } from './engine/inference/v1/PoolStatus.js';
import type { QueueStatus as _engine_inference_v1_QueueStatus, QueueStatus__Output as _engine_inference_v1_QueueStatus__Output } from './engine/inference/v1/QueueStatus.js';
import type { Segment as _engine_inference_v1_Segment, Segment__Output as _engine_inference_v1_Segment__Output } from './engine/inference/v1/Segment.js';
import type { ServerStatus as _engine_inference_v1_ServerStatus, ServerStatus__Output as _engine_inference_v1_ServerStatus__Output } from './engine/inference/v1/ServerStatus.js';
import type { SpeechEvent as _engine_inference_v1_SpeechEvent, SpeechEvent__Output as _engine_inference_v1_SpeechEvent__Output } from './engine/inference/v1/SpeechEvent.js';
import type { StreamClose as _engine_inference_v1_StreamClose, StreamClose__Output as _engine_inference_v1_StreamClose__Output } from './engine/inference/v1/StreamClose.js';
import type { StreamClosed as _engine_inference_v1_StreamClosed, StreamClosed__Output as _engine_inference_v1_StreamClosed__Output } from './engine/inference/v1/StreamClosed.js';
import type { StreamError as _engine_inference_v1_StreamError, StreamError__Output as _engine_inference_v1_StreamError__Output } from './engine/inference/v1/StreamError.js';
import type { StreamOpen as _engine_inference_v1_StreamOpen, StreamOpen__Output as _engine_inference_v1_StreamOpen__Output } from './engine/inference/v1/StreamOpen.js';
import type { StreamStates as _engine_inference_v1_StreamStates, StreamStates__Output as _engine_inference_v1_StreamStates__Output } from './engine/inference/v1/StreamStates.js';
import type { StreamVad as _engine_inference_v1_StreamVad, StreamVad__Output as _engine_inference_v1_StreamVad__Output } from './engine/inference/v1/StreamVad.js';
import type { SynthesizeRequest as _engine_inference_v1_SynthesizeRequest, SynthesizeRequest__Output as _engine_inference_v1_SynthesizeRequest__Output } from './engine/inference/v1/SynthesizeRequest.js';
import type { SynthesizeResponse as _engine_inference_v1_SynthesizeResponse, SynthesizeResponse__Output as _engine_inference_v1_SynthesizeResponse__Output } from './engine/inference/v1/SynthesizeResponse.js';
import type { SynthesizeTimings as _engine_inference_v1_SynthesizeTimings, SynthesizeTimings__Output as _engine_inference_v1_SynthesizeTimings__Output } from './engine/inference/v1/SynthesizeTimings.js';
import type { Timings as _engine_inference_v1_Timings, Timings__Output as _engine_inference_v1_Timings__Output } from './engine/inference/v1/Timings.js';
import type { TranscribeRequest as _engine_inference_v1_TranscribeRequest, TranscribeRequest__Output as _engine_inference_v1_TranscribeRequest__Output } from './engine/inference/v1/TranscribeRequest.js';
import type { TranscribeResponse as _engine_inference_v1_TranscribeResponse, TranscribeResponse__Output as _engine_inference_v1_TranscribeResponse__Output } from './engine/inference/v1/TranscribeResponse.js';
import type { TranscribeTimings as _engine_inference_v1_TranscribeTimings, TranscribeTimings__Output as _engine_inference_v1_TranscribeTimings__Output } from './engine/inference/v1/TranscribeTimings.js';
import type { Transcript as _engine_inference_v1_Transcript, Transcript__Output as _engine_inference_v1_Transcript__Output } from './engine/inference/v1/Transcript.js';
import type { VideoFrame as _engine_inference_v1_VideoFrame, VideoFrame__Output as _engine_inference_v1_VideoFrame__Output } from './engine/inference/v1/VideoFrame.js';
import type { VideoIn as _engine_inference_v1_VideoIn, VideoIn__Output as _engine_inference_v1_VideoIn__Output } from './engine/inference/v1/VideoIn.js';
import type { VideoOut as _engine_inference_v1_VideoOut, VideoOut__Output as _engine_inference_v1_VideoOut__Output } from './engine/inference/v1/VideoOut.js';
import type { VideoStreamOpen as _engine_inference_v1_VideoStreamOpen, VideoStreamOpen__Output as _engine_inference_v1_VideoStreamOpen__Output } from './engine/inference/v1/VideoStreamOpen.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  engine: {
    inference: {
      v1: {
        AudioChunk: MessageTypeDefinition<_engine_inference_v1_AudioChunk, _engine_inference_v1_AudioChunk__Output>
        AudioIn: MessageTypeDefinition<_engine_inference_v1_AudioIn, _engine_inference_v1_AudioIn__Output>
        AudioOut: MessageTypeDefinition<_engine_inference_v1_AudioOut, _engine_inference_v1_AudioOut__Output>
        BatchStats: MessageTypeDefinition<_engine_inference_v1_BatchStats, _engine_inference_v1_BatchStats__Output>
        DeepfakeFace: MessageTypeDefinition<_engine_inference_v1_DeepfakeFace, _engine_inference_v1_DeepfakeFace__Output>
        DeepfakeResponse: MessageTypeDefinition<_engine_inference_v1_DeepfakeResponse, _engine_inference_v1_DeepfakeResponse__Output>
        EnhanceRequest: MessageTypeDefinition<_engine_inference_v1_EnhanceRequest, _engine_inference_v1_EnhanceRequest__Output>
        EnhanceResponse: MessageTypeDefinition<_engine_inference_v1_EnhanceResponse, _engine_inference_v1_EnhanceResponse__Output>
        Face: MessageTypeDefinition<_engine_inference_v1_Face, _engine_inference_v1_Face__Output>
        FrameDropped: MessageTypeDefinition<_engine_inference_v1_FrameDropped, _engine_inference_v1_FrameDropped__Output>
        FrameFaces: MessageTypeDefinition<_engine_inference_v1_FrameFaces, _engine_inference_v1_FrameFaces__Output>
        FrameTimings: MessageTypeDefinition<_engine_inference_v1_FrameTimings, _engine_inference_v1_FrameTimings__Output>
        GetStatusRequest: MessageTypeDefinition<_engine_inference_v1_GetStatusRequest, _engine_inference_v1_GetStatusRequest__Output>
        HistogramBucket: MessageTypeDefinition<_engine_inference_v1_HistogramBucket, _engine_inference_v1_HistogramBucket__Output>
        ImageFaces: MessageTypeDefinition<_engine_inference_v1_ImageFaces, _engine_inference_v1_ImageFaces__Output>
        ImageRequest: MessageTypeDefinition<_engine_inference_v1_ImageRequest, _engine_inference_v1_ImageRequest__Output>
        ImageTimings: MessageTypeDefinition<_engine_inference_v1_ImageTimings, _engine_inference_v1_ImageTimings__Output>
        Inference: SubtypeConstructor<typeof grpc.Client, _engine_inference_v1_InferenceClient> & { service: _engine_inference_v1_InferenceDefinition }
        InterimRuns: MessageTypeDefinition<_engine_inference_v1_InterimRuns, _engine_inference_v1_InterimRuns__Output>
        ModelStatus: MessageTypeDefinition<_engine_inference_v1_ModelStatus, _engine_inference_v1_ModelStatus__Output>
        PoolStatus: MessageTypeDefinition<_engine_inference_v1_PoolStatus, _engine_inference_v1_PoolStatus__Output>
        QueueStatus: MessageTypeDefinition<_engine_inference_v1_QueueStatus, _engine_inference_v1_QueueStatus__Output>
        Segment: MessageTypeDefinition<_engine_inference_v1_Segment, _engine_inference_v1_Segment__Output>
        ServerStatus: MessageTypeDefinition<_engine_inference_v1_ServerStatus, _engine_inference_v1_ServerStatus__Output>
        SpeechEvent: MessageTypeDefinition<_engine_inference_v1_SpeechEvent, _engine_inference_v1_SpeechEvent__Output>
        StreamClose: MessageTypeDefinition<_engine_inference_v1_StreamClose, _engine_inference_v1_StreamClose__Output>
        StreamClosed: MessageTypeDefinition<_engine_inference_v1_StreamClosed, _engine_inference_v1_StreamClosed__Output>
        StreamError: MessageTypeDefinition<_engine_inference_v1_StreamError, _engine_inference_v1_StreamError__Output>
        StreamOpen: MessageTypeDefinition<_engine_inference_v1_StreamOpen, _engine_inference_v1_StreamOpen__Output>
        StreamStates: MessageTypeDefinition<_engine_inference_v1_StreamStates, _engine_inference_v1_StreamStates__Output>
        StreamVad: MessageTypeDefinition<_engine_inference_v1_StreamVad, _engine_inference_v1_StreamVad__Output>
        SynthesizeRequest: MessageTypeDefinition<_engine_inference_v1_SynthesizeRequest, _engine_inference_v1_SynthesizeRequest__Output>
        SynthesizeResponse: MessageTypeDefinition<_engine_inference_v1_SynthesizeResponse, _engine_inference_v1_SynthesizeResponse__Output>
        SynthesizeTimings: MessageTypeDefinition<_engine_inference_v1_SynthesizeTimings, _engine_inference_v1_SynthesizeTimings__Output>
        Timings: MessageTypeDefinition<_engine_inference_v1_Timings, _engine_inference_v1_Timings__Output>
        TranscribeRequest: MessageTypeDefinition<_engine_inference_v1_TranscribeRequest, _engine_inference_v1_TranscribeRequest__Output>
        TranscribeResponse: MessageTypeDefinition<_engine_inference_v1_TranscribeResponse, _engine_inference_v1_TranscribeResponse__Output>
        TranscribeTimings: MessageTypeDefinition<_engine_inference_v1_TranscribeTimings, _engine_inference_v1_TranscribeTimings__Output>
        Transcript: MessageTypeDefinition<_engine_inference_v1_Transcript, _engine_inference_v1_Transcript__Output>
        VideoFrame: MessageTypeDefinition<_engine_inference_v1_VideoFrame, _engine_inference_v1_VideoFrame__Output>
        VideoIn: MessageTypeDefinition<_engine_inference_v1_VideoIn, _engine_inference_v1_VideoIn__Output>
        VideoOut: MessageTypeDefinition<_engine_inference_v1_VideoOut, _engine_inference_v1_VideoOut__Output>
        VideoStreamOpen: MessageTypeDefinition<_engine_inference_v1_VideoStreamOpen, _engine_inference_v1_VideoStreamOpen__Output>
      }
    }
  }
}

