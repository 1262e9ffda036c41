import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { version } from '../../package.json';
import { columnValue, schemaOf, shapeMetadata, type StructShape } from './shape';
import type { ValueObject } from './value';

export interface SizedRecord {
  record: ValueObject;
  /** About what the record weighs in memory (its line's bytes, its images' bytes). */
  bytes: number;
}

/**
 * A row group closes at this many records or this many bytes of their lines and images, whichever comes first:
 * memory holds one group (its values take a few times their text's size while they are encoded, and the
 * garbage of encoding them several times that before it is collected), so it does not grow with the file,
 * and a group of embedded images stays small (Hugging Face writes image datasets in groups of 100 rows for
 * the same reason). A megabyte keeps a conversion of any size to about 250 MB at most, for files some 5%
 * larger than groups of 16 MB make (more for very repetitive text, whose dictionaries larger groups share).
 */
const ROW_GROUP_RECORDS = 10_000;
const ROW_GROUP_BYTES = 1 << 20;

/**
 * The bytes of a Parquet file of the records, written one row group at a time as they arrive: each group's
 * bytes are handed on once written, and the footer at the end. `shape` must be that of these records.
 */
export async function* parquetBytes(shape: StructShape, records: AsyncIterable<SizedRecord>): AsyncGenerator<Uint8Array> {
  const writer = new ByteWriter();
  // Snappy, as pyarrow and Hugging Face write by default; every Parquet reader has it. No min/max statistics:
  // the writer would hold those of every group until the footer (the shortest and the longest-sorting text
  // of each column), memory that grows with the file, for a filter on reasoning text no reader makes.
  const parquet = new ParquetWriter({
    writer,
    schema: schemaOf(shape),
    codec: 'SNAPPY',
    statistics: false,
    kvMetadata: shapeMetadata(shape),
    createdBy: `cot-studio version ${version}`,
  });
  const fields = [...shape.fields];
  let columns: unknown[][] = fields.map(() => []);
  let rows = 0;
  let bytes = 0;
  const writeGroup = (): void => {
    parquet.write({ columnData: fields.map(([name], index) => ({ name, data: columns[index] })), rowGroupSize: rows });
    columns = fields.map(() => []);
    rows = 0;
    bytes = 0;
  };
  yield take(writer);
  for await (const sized of records) {
    fields.forEach(([key, field], index) => {
      columns[index].push(columnValue(field.shape, Object.hasOwn(sized.record, key) ? sized.record[key] : undefined));
    });
    rows++;
    bytes += sized.bytes;
    if (rows < ROW_GROUP_RECORDS && bytes < ROW_GROUP_BYTES) continue;
    writeGroup();
    yield take(writer);
  }
  if (rows > 0) writeGroup();
  parquet.finish();
  yield take(writer);
}

/** What the writer holds, copied out, and the writer emptied: its offsets still count every byte written. */
function take(writer: ByteWriter): Uint8Array {
  const bytes = writer.getBytes().slice();
  writer.index = 0;
  return bytes;
}
