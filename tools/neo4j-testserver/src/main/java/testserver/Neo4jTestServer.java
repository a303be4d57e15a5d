package testserver;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * Usage: Neo4jTestServer HOME_DIR BOLT_PORT. Prints NEO4J_READY when Bolt answers; runs until SIGTERM.
 *
 * <p>The page cache is 256 MiB, enough for the test suite's small maps. A benchmark over a large
 * map sets {@code -Dneo4j.pagecache=2g} (any size Neo4j's settings accept): Neo4j's own sizing advice
 * is a page cache that holds the store, and a 100,000-incident store is about 1.7 GB, so 256 MiB
 * would measure page-cache misses rather than the queries.
 */
public final class Neo4jTestServer {
    public static void main(String[] args) throws InterruptedException {
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        SocketAddress bolt = new SocketAddress("127.0.0.1", port);
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, bolt)
                // The advertised address is what neo4j:// routing tables hand back to drivers.
                .setConfig(BoltConnector.advertised_address, bolt)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pageCache())
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofSeconds(120))
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown, "neo4j-shutdown"));
        System.out.println("NEO4J_READY bolt://127.0.0.1:" + port);
        System.out.flush();
        new CountDownLatch(1).await();
    }

    private static long pageCache() {
        String size = System.getProperty("neo4j.pagecache");
        return size == null || size.isBlank() ? ByteUnit.mebiBytes(256) : ByteUnit.parse(size);
    }
}
