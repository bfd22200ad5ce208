// Mints a widget token from Java with chatseal's jar (bindings/jvm/build.sh).
// The sso_token is read from standard input, never from the command line:
//
//   javac -cp 'target/jvm/*' -d target/jvm-example bindings/jvm/Mint.java
//   java -cp 'target/jvm/*:target/jvm-example' Mint client.key.pem platform.pub.pem user-42 <sso-token.txt
//
// tests/steps/50-bindings.sh runs it and has the chatseal CLI and jwcrypto
// verify the token and decrypt the sso_token.
import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.file.Files;
import java.nio.file.Path;
import uniffi.chatseal.*;

public class Mint {
    public static void main(String[] args) throws Exception {
        var key = ClientSigningKey.Companion.fromPem(Files.readString(Path.of(args[0])), Algorithm.RS256, null);
        var platform = PlatformEncryptionKey.Companion.fromPem(Files.readString(Path.of(args[1])));
        var issuer = Chatseal.issuer(key, "https://host.example", "chat-platform", 3600, platform, PayloadFormat.JWE, false);
        var ssoToken = new String(System.in.readAllBytes(), UTF_8).strip();
        System.out.println(issuer.mint(args[2], "{\"email\":\"ada@example.com\"}", ssoToken, null));
    }
}
