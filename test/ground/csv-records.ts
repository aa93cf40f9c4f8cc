// Test helper: an RFC 4180 reader (quoted fields with commas, doubled quotes and line breaks; CRLF or LF), written
// here so the CSV export is checked by something other than the code that wrote it.
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      if (field !== '') throw new Error(`CSV: a quote inside an unquoted field at offset ${i}`);
      quoted = true;
    } else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else {
      field += c;
    }
  }
  if (quoted) throw new Error('CSV: a quoted field is not closed at the end');
  if (field !== '' || record.length > 0) records.push([...record, field]);
  return records;
}

/** The records after the header as objects keyed by the header's names. */
export function csvObjects(text: string): Array<Record<string, string>> {
  const [header, ...rows] = parseCsv(text);
  if (header === undefined) throw new Error('CSV: no header');
  return rows.map((row) => {
    if (row.length !== header.length) throw new Error(`CSV: ${row.length} fields in a row of a ${header.length}-column file: ${row.join('|')}`);
    return Object.fromEntries(header.map((name, i) => [name, row[i] ?? '']));
  });
}
