//! Proves the NATS contract survives a real server: every NATS sample of `bencher-wire` is
//! published where the services publish it (JetStream with its `Nats-Msg-Id`, the status bucket,
//! core NATS for control messages), read back, and still deserializes to the same JSON. A second
//! publish with the same id is reported as a duplicate and stored once.

use std::time::Duration;

use async_nats::jetstream;
use bencher_runtime::provision::provision;
use bencher_runtime::publish::publish_deduplicated;
use bencher_testkit::nats::NatsServer;
use bencher_wire::nats::{Subjects, Topology};
use bencher_wire::samples::{self, SampleKind};
use futures::StreamExt;

#[tokio::test]
async fn every_nats_sample_round_trips_through_a_real_server() -> anyhow::Result<()> {
    let server = NatsServer::start().await?;
    let client = async_nats::connect(server.url()).await?;
    let js = jetstream::new(client.clone());
    let subjects = Subjects::default();
    let topology = Topology::new(subjects.clone(), 1);
    provision(&js, &topology).await?;
    let status_kv = js.get_key_value(topology.job_status_kv().bucket).await?;

    let mut checked = 0;
    for sample in samples::all().into_iter().filter(|s| s.kind.is_nats()) {
        let expected = sample.value()?;
        let subject = sample
            .subject(&subjects)?
            .ok_or_else(|| anyhow::anyhow!("{} has no subject", sample.stem))?;
        let read_back: Vec<u8> = match sample.kind {
            SampleKind::JobStatus => {
                // Written to the bucket; readers see it both by key and on the republish subject.
                let key = sample.kv_key()?.expect("status snapshots have a key");
                let mut republished = client.subscribe(subject.clone()).await?;
                status_kv
                    .put(&key, sample.json.as_bytes().to_vec().into())
                    .await?;
                let by_key = status_kv.get(&key).await?.expect("value just written");
                let pushed = tokio::time::timeout(Duration::from_secs(5), republished.next())
                    .await?
                    .expect("republished copy");
                assert_eq!(pushed.payload, by_key, "{}: republish differs", sample.stem);
                by_key.to_vec()
            }
            SampleKind::JobControl => {
                let mut sub = client.subscribe(subject.clone()).await?;
                client
                    .publish(subject.clone(), sample.json.as_bytes().to_vec().into())
                    .await?;
                let msg = tokio::time::timeout(Duration::from_secs(5), sub.next())
                    .await?
                    .expect("control message");
                msg.payload.to_vec()
            }
            _ => {
                let msg_id = sample.msg_id()?.expect("stream messages are deduplicated");
                let payload = sample.json.as_bytes().to_vec();
                let first =
                    publish_deduplicated(&js, &subject, &msg_id, payload.clone().into(), None)
                        .await?;
                assert!(!first.duplicate, "{}: first publish is new", sample.stem);
                let again =
                    publish_deduplicated(&js, &subject, &msg_id, payload.into(), None).await?;
                assert!(
                    again.duplicate,
                    "{}: same Nats-Msg-Id is a duplicate",
                    sample.stem
                );
                assert_eq!(again.sequence, first.sequence);
                let stream = js.get_stream(&first.stream).await?;
                let stored = stream.get_raw_message(first.sequence).await?;
                assert_eq!(stored.subject.as_str(), subject, "{}", sample.stem);
                stored.payload.to_vec()
            }
        };
        let round_tripped = sample.round_trip(&read_back)?;
        assert_eq!(
            round_tripped, expected,
            "{} changed in transit",
            sample.stem
        );
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} NATS samples checked");
    println!("{checked} NATS samples round-tripped through nats-server");
    Ok(())
}
