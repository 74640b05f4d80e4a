//! The pipeline every request to a mock goes through: count it, pick its fault, let the mock
//! answer (or not), record it the same way on every mock, deliver.

use super::answer::Answer;
use super::request::Request;
use super::server::{Delivery, Handle};
use crate::mock::Fault;
use crate::mock::faults::Faults;
use crate::mock::record::{RecordedRequest, Recorder};

/// One mock's own logic, behind the shared pipeline.
pub(crate) trait Service: Send + Sync + 'static {
    /// Answers a request the mock processes; `seq` is its place in arrival order.
    fn answer(&self, request: &Request, seq: u64) -> Answer;

    /// Adds what every answer carries (default: nothing); `injected` says the answer is a
    /// fault's, not the mock's own.
    fn finish(&self, answer: Answer, _seq: u64, _injected: bool) -> Answer {
        answer
    }
}

/// The pipeline around one mock's [`Service`].
pub(crate) struct Front<S> {
    service: S,
    faults: Faults,
    recorder: Recorder,
}

impl<S: Service> Front<S> {
    pub(crate) fn new(service: S, faults: Faults, recorder: Recorder) -> Front<S> {
        Front {
            service,
            faults,
            recorder,
        }
    }

    fn processed(&self, request: &Request, seq: u64) -> Answer {
        let answer = self.service.answer(request, seq);
        self.service.finish(answer, seq, false)
    }
}

impl<S: Service> Handle for Front<S> {
    fn handle(&self, request: Request) -> Delivery {
        let seq = self.recorder.arrive();
        let mut record = RecordedRequest::of(&request, seq);
        let fault = self.faults.decide(&record);
        let delivery = match &fault {
            None => Delivery::Answer(self.processed(&request, seq)),
            Some(Fault::Delay(delay)) => {
                Delivery::Answer(self.processed(&request, seq).set_delay(*delay))
            }
            Some(Fault::DropConnection) => Delivery::Drop,
            Some(Fault::Reset) => Delivery::Reset,
            Some(Fault::DropAfterProcessing) => {
                self.processed(&request, seq);
                Delivery::Drop
            }
            Some(Fault::TruncatedBody) => Delivery::Truncated(self.processed(&request, seq)),
            Some(replacing) => match replacing.answer() {
                Some(answer) => Delivery::Answer(self.service.finish(answer, seq, true)),
                None => Delivery::Answer(self.processed(&request, seq)),
            },
        };
        record.status = match &delivery {
            Delivery::Answer(answer) | Delivery::Truncated(answer) => Some(answer.status),
            Delivery::Drop | Delivery::Reset => None,
        };
        record.fault = fault;
        self.recorder.keep(record);
        delivery
    }

    fn refuse(&self, request: Request, answer: Answer) -> Answer {
        let seq = self.recorder.arrive();
        let mut record = RecordedRequest::of(&request, seq);
        let answer = self.service.finish(answer, seq, false);
        record.status = Some(answer.status);
        self.recorder.keep(record);
        answer
    }
}
