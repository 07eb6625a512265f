//! A scripted IMAP server on loopback for unit tests: what a session does with answers that a
//! real server would rarely give on cue.

use std::future::Future;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

use super::{ImapSession, ImapStream};

/// The command lines a scripted server reads.
pub(crate) type Commands = Lines<BufReader<OwnedReadHalf>>;

/// A logged-in session to a server that greets and then runs `serve` on the connection: `serve`
/// reads the commands (LOGIN first) and writes every answer, LOGIN's included.
pub(crate) async fn session<F, Fut>(serve: F) -> ImapSession
where
    F: FnOnce(Commands, OwnedWriteHalf) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let (reader, mut writer) = socket.into_split();
        writer.write_all(b"* OK ready\r\n").await.unwrap();
        serve(BufReader::new(reader).lines(), writer).await;
    });
    let stream = ImapStream::Plain(TcpStream::connect(address).await.unwrap());
    let mut client = async_imap::Client::new(stream);
    client.read_response().await.unwrap();
    client.login("u", "p").await.map_err(|(e, _)| e).unwrap()
}
