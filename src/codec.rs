//! The protobuf codec of every Paygate service: prost's, except that a
//! request that does not decode is the caller's mistake, `INVALID_ARGUMENT`
//! (prost's codec calls it `INTERNAL`, which reads as a server fault and
//! would become a 500).

use std::marker::PhantomData;

use tonic::{
    Code, Status,
    codec::{BufferSettings, Codec, DecodeBuf, Decoder},
};
use tonic_prost::{ProstDecoder, ProstEncoder};

#[derive(Debug, Clone)]
pub struct PaygateCodec<T, U> {
    _messages: PhantomData<(T, U)>,
}

impl<T, U> Default for PaygateCodec<T, U> {
    fn default() -> Self {
        Self { _messages: PhantomData }
    }
}

impl<T, U> Codec for PaygateCodec<T, U>
where
    T: prost::Message + Send + 'static,
    U: prost::Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = PaygateDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::default()
    }

    fn decoder(&mut self) -> Self::Decoder {
        PaygateDecoder(ProstDecoder::default())
    }
}

#[derive(Debug, Clone)]
pub struct PaygateDecoder<U>(ProstDecoder<U>);

impl<U: prost::Message + Default> Decoder for PaygateDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        self.0.decode(buf).map_err(|status| {
            if status.code() == Code::Internal {
                Status::invalid_argument(format!("the message could not be decoded: {}", status.message()))
            } else {
                status
            }
        })
    }

    fn buffer_settings(&self) -> BufferSettings {
        self.0.buffer_settings()
    }
}
