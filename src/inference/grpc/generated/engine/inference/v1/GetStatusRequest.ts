// Original file: proto/inference.proto


export interface GetStatusRequest {
}

export interface GetStatusRequest__Output {
}
