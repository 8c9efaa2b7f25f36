// Publishes one record per key with the real Java producer and prints "key<TAB>partition".
// Used by test_placement.py to check that Crible places keys as every other producer does.
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class Placement {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        props.put("key.serializer", ByteArraySerializer.class.getName());
        props.put("value.serializer", ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            for (int i = 2; i < args.length; i++) {
                byte[] key = args[i].getBytes("UTF-8");
                RecordMetadata meta = producer.send(new ProducerRecord<>(args[1], key, key)).get();
                System.out.println(args[i] + "\t" + meta.partition());
            }
        }
    }
}
